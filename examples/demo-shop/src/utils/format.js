function money(n) { return '$' + n.toFixed(2); }
function pad(s, n) { return String(s).padStart(n); }
module.exports = { money, pad };
