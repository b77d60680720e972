/**
 * A one-line progress bar on a terminal stream, redrawn at most ten times a second and erased when done.
 * @internal
 */
export class ProgressBar {
  #last = 0;
  #drawn = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
  ) {}

  update(done: number, total: number): void {
    const now = Date.now();
    if (done < total && now - this.#last < 100) return;
    this.#last = now;
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    this.stream.write(
      `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${percent}%`,
    );
    this.#drawn = true;
  }

  clear(): void {
    if (this.#drawn) this.stream.write('\r\u001b[2K');
    this.#drawn = false;
  }
}
