/** Injectable time source. Nothing in src/lib calls Date.now() except realClock. */
export interface Clock {
  now(): Date;
}

export const realClock: Clock = {now: () => new Date()};

/** Unix seconds (truncated) of a Date. */
export const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** Unix nanoseconds of a Date as a decimal string (Go's UnixNano; ms precision). */
export const unixNanosString = (d: Date): string => (BigInt(d.getTime()) * 1_000_000n).toString();

/** A clock that only moves when told to; for tests and simulations. */
export class SimulatedClock implements Clock {
  #t: number;
  constructor(start: Date = new Date()) { this.#t = start.getTime(); }
  now(): Date { return new Date(this.#t); }
  set(d: Date): void { this.#t = d.getTime(); }
  advance(ms: number): void { this.#t += ms; }
}
