const assert = require('node:assert');
const { money } = require('../src/utils/format');
assert.strictEqual(money(2), '$2.00');
