// Dates as the API gives them: a year, a year and month, or a full date ("1994",
// "1994-05", "1994-05-12"; docs/dates.md). The explorer compares them with a day (asOf)
// by the API's rule, so that what the panel lists on a day agrees with the counts the
// API answers for it: a start or a signing known only by its year or month counts from
// the last day of that period, an end from its first day.

// firstDay is the first day of the period a date names, as YYYY-MM-DD.
export function firstDay(d) {
  return d.length === 4 ? `${d}-01-01` : d.length === 7 ? `${d}-01` : d;
}

// lastDay is the last day of the period a date names, as YYYY-MM-DD: "1994" is
// 1994-12-31, "1994-02" 1994-02-28.
export function lastDay(d) {
  if (d.length === 4) return `${d}-12-31`;
  if (d.length === 7) {
    // Day 0 of the next month is the last day of this one (months are 0-based in Date).
    const days = new Date(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)), 0)).getUTCDate();
    return `${d}-${String(days).padStart(2, "0")}`;
  }
  return d;
}
