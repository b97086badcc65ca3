/**
 * Restart intensity (OTP): at most `maxRestarts` within a sliding window of `withinMs`.
 * `record` notes a restart and says whether it is still allowed.
 */
export class RestartIntensity {
  readonly #times: number[] = [];

  constructor(
    readonly maxRestarts: number,
    readonly withinMs: number,
  ) {}

  record(now: number): boolean {
    const times = this.#times;
    while (times.length > 0 && now - (times[0] as number) >= this.withinMs) times.shift();
    times.push(now);
    return times.length <= this.maxRestarts;
  }

  get recent(): number {
    return this.#times.length;
  }
}
