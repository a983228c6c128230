DELIMITER $$ oops
