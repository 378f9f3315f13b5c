/**
 * @module observe/channels/errors
 * The one error a channel throws: a spec it cannot send with, found when the channel is
 * made. Sending never throws; a failed delivery is an outcome.
 */
import { BatonError } from '../../shared/index.js';

/** Why a channel could not be made: `channel-invalid`. */
export type ChannelProblem = 'channel-invalid';

/** A channel spec that cannot be used (an unknown type, a URL that is not http(s)). */
export class ChannelError extends BatonError {
  declare readonly code: ChannelProblem;
  constructor(code: ChannelProblem, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
