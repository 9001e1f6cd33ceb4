'use strict';

const http = require('node:http');
const { SMTPServer } = require('smtp-server');

/**
 * Local stand-ins for the providers, speaking their wire formats: Twilio's Messages API,
 * the WhatsApp Cloud API and SMTP. They accept everything and record when each message
 * arrived, keyed by the destination's digits, so the bench can match request -> sink.
 */
async function startSinks({ httpPort, smtpPort }) {
  const arrivals = new Map(); // digits -> arrival time (ms since epoch, sub-ms precision)
  const waiters = new Set();
  let counter = 0;
  const now = () => performance.timeOrigin + performance.now();

  const record = (destination) => {
    const key = String(destination).replace(/\D/g, '');
    if (!arrivals.has(key)) arrivals.set(key, now());
    for (const waiter of waiters) waiter();
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && /\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(req.url)) {
        const to = new URLSearchParams(body).get('To') ?? '';
        record(to);
        const sid = `SM${(++counter).toString(16).padStart(32, '0')}`;
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ sid, status: 'queued', to }));
        return;
      }
      if (req.method === 'POST' && /\/messages$/.test(req.url)) {
        let to = '';
        try {
          to = JSON.parse(body).to ?? '';
        } catch {
          // recorded as unknown
        }
        record(to);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ messaging_product: 'whatsapp', messages: [{ id: `wamid.${++counter}` }] }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(httpPort, '127.0.0.1', resolve));

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        for (const rcpt of session.envelope.rcptTo) record(rcpt.address);
        callback();
      });
    },
  });
  await new Promise((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));

  return {
    arrivals,
    clear: () => arrivals.clear(),
    /**
     * Resolves when every key is present, or when nothing new arrived for `stallMs` (a slow
     * pipeline still gets to finish; a stuck one does not hang the bench). Returns the count.
     */
    async waitFor(keys, stallMs = 20_000, capMs = 15 * 60_000) {
      const pending = () => keys.filter((key) => !arrivals.has(key)).length;
      const cap = Date.now() + capMs;
      let left = pending();
      let progressAt = Date.now();
      while (left > 0 && Date.now() - progressAt < stallMs && Date.now() < cap) {
        await new Promise((resolve) => {
          const waiter = () => {
            waiters.delete(waiter);
            resolve();
          };
          waiters.add(waiter);
          setTimeout(waiter, 200);
        });
        const now = pending();
        if (now < left) progressAt = Date.now();
        left = now;
      }
      return keys.length - left;
    },
    close: () => Promise.all([new Promise((r) => server.close(r)), new Promise((r) => smtp.close(r))]),
  };
}

module.exports = { startSinks };
