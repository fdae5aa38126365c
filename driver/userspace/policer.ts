// Interface ingress policing (Interface `ingress_policing_rate`/`ingress_policing_burst`): a token
// bucket per datapath port, filled at the rate in kbit/s up to the burst in kbit, that a received
// frame must pay its bytes from or be dropped (counted as rx_dropped), as OVS's netdev policers do.
import { InvalidInputError } from '../../engine/util/errors.js';

/** OVS's burst when ingress_policing_burst is 0: 8000 kbit. */
export const DEFAULT_BURST_KBIT = 8000;

export class TokenBucket {
  private readonly bytesPerMs: number;
  private readonly capacity: number;
  private tokens: number;
  private last: number;

  constructor(rateKbps: number, burstKbit: number, now: number) {
    if (!Number.isInteger(rateKbps) || rateKbps <= 0) throw new InvalidInputError(`ingress policing rate ${rateKbps} is not a positive number of kbit/s`);
    if (!Number.isInteger(burstKbit) || burstKbit < 0) throw new InvalidInputError(`ingress policing burst ${burstKbit} is not a non-negative number of kbit`);
    this.bytesPerMs = (rateKbps * 1000) / 8 / 1000;
    this.capacity = ((burstKbit || DEFAULT_BURST_KBIT) * 1000) / 8;
    this.tokens = this.capacity;
    this.last = now;
  }

  /** Whether a frame of `bytes` may pass at time `now` (ms); takes its tokens if so. */
  admit(bytes: number, now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.bytesPerMs);
      this.last = now;
    }
    if (this.tokens < bytes) return false;
    this.tokens -= bytes;
    return true;
  }
}
