-- MySQL will not drop an index that backs the foreign key; DROP TABLE takes both.
DROP TABLE posts;
