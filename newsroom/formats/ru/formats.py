# Django's Russian formats ("10 ноября 2020 г.", "1 960"), and the month with its year
# in the nominative.
DATE_FORMAT = "j E Y г."
YEAR_MONTH_FORMAT = "F Y г."
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
