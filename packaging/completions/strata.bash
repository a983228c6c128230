# bash completion for strata                                  -*- shell-script -*-
# Installed as share/bash-completion/completions/strata; works without the bash-completion
# package too (source it from ~/.bashrc). Keep the lists in step with `strata --help`:
# tests/package/deb_test.sh checks that every command and option the binary lists is here.

_strata_versions()
{
    # Versions of the migrations in the directory given by -p/--path, STRATA_PATH or ./migrations.
    local dir=${STRATA_PATH:-./migrations} i
    for ((i = 1; i < ${#words[@]}; i++)); do
        case ${words[i]} in
            -p | --path)
                dir=${words[i + 1]}
                [[ $dir == = ]] && dir=${words[i + 2]}
                ;;
            --path=*) dir=${words[i]#--path=} ;;
        esac
    done
    dir=${dir/#\~/$HOME}
    local f
    for f in "$dir"/*.sql; do
        f=${f##*/}
        [[ $f =~ ^([0-9]+)_ ]] && printf '%s\n' "${BASH_REMATCH[1]}"
    done | sort -u
}

_strata()
{
    # Split the line on blanks only: readline also splits at '=' and ':' (COMP_WORDBREAKS),
    # which would cut "--path=dir" and "sqlite:app.db" apart. Without COMP_LINE (a caller that
    # sets only COMP_WORDS/COMP_CWORD), use COMP_WORDS.
    local -a words
    if [[ -n ${COMP_LINE-} ]]; then
        local line=${COMP_LINE:0:COMP_POINT}
        read -ra words <<<"$line"
        [[ ${#words[@]} -eq 0 || $line == *[[:blank:]] ]] && words+=("")
    else
        words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
    fi
    local n=${#words[@]}
    local cur=${words[n - 1]} prev=
    ((n > 1)) && prev=${words[n - 2]}
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    elif [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && ((n > 2)); then
        prev=${words[n - 3]}
    fi

    local commands="create up down goto redo version force accept status validate wait"
    local global_opts="--help --database --path --table --lock-timeout --statement-lock-timeout --retries --env-file --dialect
        --json --verbose --quiet --no-color --yes --version -h -d -p -v -q -y"

    COMPREPLY=()
    case $prev in
        -p | --path)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            return
            ;;
        --env-file)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        --dialect)
            mapfile -t COMPREPLY < <(compgen -W "sqlite postgres mysql" -- "$cur")
            return
            ;;
        -d | --database)
            compopt -o nospace 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -W "sqlite: postgres:// postgresql:// mysql:// mariadb://" -- "$cur")
            # readline replaces only the text after the last ':' of the word.
            if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
                local i
                for i in "${!COMPREPLY[@]}"; do
                    COMPREPLY[i]=${COMPREPLY[i]#"${cur%:*}:"}
                done
            fi
            return
            ;;
        --table | --lock-timeout | --statement-lock-timeout | --retries | --digits | --timeout)
            return
            ;;
    esac

    # The command is the first word that is neither an option nor an option's value.
    local i cmd=
    for ((i = 1; i < n - 1; i++)); do
        case ${words[i]} in
            -d | --database | -p | --path | --table | --lock-timeout | --statement-lock-timeout | --retries | --env-file | --dialect | --digits | --timeout)
                ((i++))
                [[ ${words[i]} == = ]] && ((i++))
                ;;
            -* | =) ;;
            *) [[ -z $cmd ]] && cmd=${words[i]} ;;
        esac
    done

    local cmd_opts=
    case $cmd in
        create) cmd_opts="--timestamp --digits --single" ;;
        up | goto) cmd_opts="--allow-out-of-order --dry-run" ;;
        down) cmd_opts="--all --dry-run" ;;
        redo) cmd_opts="--dry-run" ;;
        status) cmd_opts="--exit-code" ;;
        wait) cmd_opts="--timeout" ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$cmd_opts $global_opts" -- "$cur")
    elif [[ -z $cmd ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
    else
        case $cmd in
            goto) mapfile -t COMPREPLY < <(compgen -W "$(_strata_versions)" -- "$cur") ;;
            force) mapfile -t COMPREPLY < <(compgen -W "$(_strata_versions) none -1" -- "$cur") ;;
            accept) mapfile -t COMPREPLY < <(compgen -W "$(_strata_versions)" -- "$cur") ;;
        esac
    fi
}
complete -F _strata strata
