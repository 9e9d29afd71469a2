package postgres

// ParseTextRows is parseTextRows, for the external test package.
var ParseTextRows = parseTextRows
