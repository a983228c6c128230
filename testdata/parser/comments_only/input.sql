-- nothing here

/* really nothing */
;
