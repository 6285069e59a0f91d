// A writable stream that keeps what is written to it, for the command-line tests.
import { Writable } from 'node:stream';

export function capture(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}
