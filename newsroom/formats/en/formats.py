# Dates as a newsroom writes them in English (Django's own: "Nov. 10, 2020").
DATE_FORMAT = "F j, Y"
YEAR_MONTH_FORMAT = "F Y"
