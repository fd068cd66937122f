/** A progress event of a download or upload, enough to drive a progress bar. */
export interface ArtifactProgress {
  phase: "download" | "upload";
  bytesDone: number;
  /** Total bytes when known (all sizes reported by the listing / taken from local files). */
  bytesTotal: number | undefined;
  filesDone: number;
  filesTotal: number;
  /** Artifact path of the file most recently active. */
  currentPath: string | undefined;
  /** True on the last event of the transfer. */
  done: boolean;
}

/** Options of a ProgressReporter. */
export interface ProgressReporterOptions {
  /** Minimum time between two events in ms (default 100); the final event is always sent. */
  intervalMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/**
 * Accumulates transfer progress and forwards it to a callback at most once per interval, plus a
 * final event from `finish()`. A throwing callback is ignored so that it cannot break a transfer.
 */
export class ProgressReporter {
  private readonly state: ArtifactProgress;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastEmit = Number.NEGATIVE_INFINITY;

  constructor(
    phase: ArtifactProgress["phase"],
    private readonly callback: ((p: ArtifactProgress) => void) | undefined,
    options: ProgressReporterOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? Date.now;
    this.state = {
      phase,
      bytesDone: 0,
      bytesTotal: 0,
      filesDone: 0,
      filesTotal: 0,
      currentPath: undefined,
      done: false,
    };
  }

  /** Sets the totals once they are known (bytesTotal undefined when a size is unknown). */
  setTotals(filesTotal: number, bytesTotal: number | undefined): void {
    this.state.filesTotal = filesTotal;
    this.state.bytesTotal = bytesTotal;
    this.maybeEmit();
  }

  /** Adds (or, after a restarted download, subtracts) transferred bytes. */
  addBytes(n: number, path: string): void {
    this.state.bytesDone += n;
    this.state.currentPath = path;
    this.maybeEmit();
  }

  /** Counts one finished file. */
  fileDone(path: string): void {
    this.state.filesDone += 1;
    this.state.currentPath = path;
    this.maybeEmit();
  }

  /** A copy of the current state. */
  snapshot(): ArtifactProgress {
    return { ...this.state };
  }

  /** Sends the final event (done: true), whatever the throttle says. */
  finish(): void {
    this.state.done = true;
    this.emit();
  }

  private maybeEmit(): void {
    if (!this.callback) return;
    const t = this.now();
    if (t - this.lastEmit < this.intervalMs) return;
    this.emit(t);
  }

  private emit(t = this.now()): void {
    if (!this.callback) return;
    this.lastEmit = t;
    try {
      this.callback({ ...this.state });
    } catch {
      // a failing progress callback must not break the transfer
    }
  }
}
