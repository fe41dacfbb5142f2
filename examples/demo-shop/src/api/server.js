const http = require('node:http');
const { listOrders, createOrder } = require('./orders');
const { authenticate } = require('../auth/session');

// TODO: rate limiting
const server = http.createServer(async (req, res) => {
  const user = authenticate(req.headers.authorization);
  if (!user) { res.writeHead(401); return res.end(); }
  if (req.method === 'GET' && req.url.startsWith('/orders')) {
    const q = new URL(req.url, 'http://x').searchParams.get('q') || '';
    return res.end(JSON.stringify(await listOrders(user.id, q)));
  }
  if (req.method === 'POST' && req.url === '/orders') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => res.end(JSON.stringify(await createOrder(user.id, JSON.parse(body)))));
    return;
  }
  res.writeHead(404); res.end();
});

module.exports = { server };
