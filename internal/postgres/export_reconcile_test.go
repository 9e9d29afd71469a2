package postgres

// ReconcileSQL is reconcileSQL, for the plan test of the external test package.
var ReconcileSQL = reconcileSQL
