/**
 * Writes lines to a stream in batches and waits for `drain` when the stream is full, so millions of lines flow at
 * the reader's pace in constant memory. A closed pipe (EPIPE, as with `| head`) stops writing quietly.
 * @internal
 */
export class LineWriter {
  #buffer: string[] = [];
  #size = 0;
  #closed = false;
  readonly #stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.#closed = true;
    });
  }

  /** Whether the reader has gone away. */
  get closed(): boolean {
    return this.#closed;
  }

  async line(text: string): Promise<void> {
    if (this.#closed) return;
    this.#buffer.push(text);
    this.#size += text.length + 1;
    if (this.#size >= 65536) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#buffer.length === 0 || this.#closed) return;
    const chunk = `${this.#buffer.join('\n')}\n`;
    this.#buffer = [];
    this.#size = 0;
    if (!this.#stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          this.#stream.off('close', done);
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('error', done);
        this.#stream.on('close', done);
      });
    }
  }
}
