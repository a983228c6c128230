# cmake -DAR=ar -DSCRIPT=file.mri -DSTRATA_ARCHIVE=libstrata.a -P merge_archives.cmake
# Merges static libraries into one with ar's MRI script (GNU ar's "ar -M"), from scratch.
file(REMOVE ${STRATA_ARCHIVE})
file(READ ${SCRIPT} _script)
string(REPLACE "\${STRATA_ARCHIVE}" "${STRATA_ARCHIVE}" _script "${_script}")
file(WRITE ${STRATA_ARCHIVE}.mri "${_script}")
execute_process(COMMAND ${AR} -M INPUT_FILE ${STRATA_ARCHIVE}.mri RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "ar -M failed (${_rc}): ${_err}")
endif()
