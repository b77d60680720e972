/**
 * A mistake in how the command was called. The CLI prints its message with the command's usage and exits 2.
 *
 * @example
 * ```ts
 * import { UsageError } from '@scanplane/cli';
 * throw new UsageError('--shard must look like K/N, for example 1/4');
 * ```
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
