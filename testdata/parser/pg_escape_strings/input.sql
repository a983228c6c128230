SELECT E'it\'s; escaped', e'back\\slash;';
SELECT 'C:\'; SELECT 'after';
SELECT U&'d\0061t; \+000061' AS u;
