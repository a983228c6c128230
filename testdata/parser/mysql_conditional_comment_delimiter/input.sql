-- Like the mysql client, the delimiter ends the statement even inside /*! */.
/*!50003 SET @a = 1; SET @b = 2 */;
SELECT 3;
