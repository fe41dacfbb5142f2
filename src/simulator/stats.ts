import type { RequestRecord, ServerStats } from './types';

export function emptyStats(): ServerStats {
  return {
    totalRequests: 0,
    requestsByModel: {},
    inFlight: 0,
    maxInFlight: 0,
    inFlightByModel: {},
    maxInFlightByModel: {},
    rateLimited: 0,
    requests: [],
  };
}

export interface Ticket {
  /** 1-based arrival order since the last reset. */
  index: number;
  record: RequestRecord;
  model: string | null;
  open: boolean;
}

/**
 * Counts requests and concurrency. A request is in flight from its arrival until its response ends or
 * its client goes away; `leave` is idempotent per ticket so a close after a finish never double-counts.
 * `stats` is one object mutated in place, so a reference taken once stays current.
 */
export class StatsTracker {
  readonly stats: ServerStats = emptyStats();

  arrive(id: string, now: number): Ticket {
    const s = this.stats;
    s.totalRequests++;
    s.inFlight++;
    s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
    const record: RequestRecord = { id, model: '', stream: false, arrivedAt: now, status: null, outcome: 'invalid', usage: null };
    s.requests.push(record);
    return { index: s.totalRequests, record, model: null, open: true };
  }

  assignModel(ticket: Ticket, model: string): void {
    const s = this.stats;
    ticket.model = model;
    ticket.record.model = model;
    s.requestsByModel[model] = (s.requestsByModel[model] ?? 0) + 1;
    const n = (s.inFlightByModel[model] ?? 0) + 1;
    s.inFlightByModel[model] = n;
    s.maxInFlightByModel[model] = Math.max(s.maxInFlightByModel[model] ?? 0, n);
  }

  rateLimited(): void {
    this.stats.rateLimited++;
  }

  leave(ticket: Ticket): void {
    if (!ticket.open) return;
    ticket.open = false;
    const s = this.stats;
    s.inFlight = Math.max(0, s.inFlight - 1);
    if (ticket.model !== null) s.inFlightByModel[ticket.model] = Math.max(0, (s.inFlightByModel[ticket.model] ?? 0) - 1);
  }

  /** Clears the counters; requests still in flight stay counted as in flight so they leave cleanly. */
  reset(): void {
    const s = this.stats;
    s.totalRequests = 0;
    s.requestsByModel = {};
    s.maxInFlight = s.inFlight;
    s.maxInFlightByModel = { ...s.inFlightByModel };
    s.rateLimited = 0;
    s.requests = [];
  }
}
