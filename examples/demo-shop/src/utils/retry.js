async function retry(fn, times = 3) {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (e) { if (i >= times) throw e; }
  }
}
module.exports = { retry };
