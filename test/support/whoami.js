// Test helper run inside network namespaces: a TCP+UDP server that answers with the source address
// it sees, and clients that print that answer. Usage: whoami.js server PORT | tcp HOST PORT | udp HOST PORT
const net = require('node:net');
const dgram = require('node:dgram');

const [mode, a, b] = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};

if (mode === 'server') {
  const port = Number(a);
  net
    .createServer((socket) => socket.end(`tcp ${socket.remoteAddress}\n`))
    .listen(port, '0.0.0.0', () => {
      process.stdout.write('ready\n');
    });
  const udp = dgram.createSocket('udp4');
  udp.on('message', (_message, from) => udp.send(`udp ${from.address}\n`, from.port, from.address));
  udp.bind(port, '0.0.0.0');
} else if (mode === 'tcp') {
  const socket = net.connect(Number(b), a);
  let answer = '';
  socket.setTimeout(3000, () => fail('tcp timeout'));
  socket.on('data', (chunk) => {
    answer += chunk;
  });
  socket.on('end', () => {
    process.stdout.write(answer);
    process.exit(0);
  });
  socket.on('error', (error) => fail(`tcp ${error.message}`));
} else if (mode === 'udp') {
  const socket = dgram.createSocket('udp4');
  const timer = setTimeout(() => fail('udp timeout'), 3000);
  socket.on('message', (message) => {
    clearTimeout(timer);
    process.stdout.write(message.toString());
    socket.close();
  });
  socket.send('who', Number(b), a);
} else {
  fail('usage: whoami.js server PORT | tcp HOST PORT | udp HOST PORT');
}
