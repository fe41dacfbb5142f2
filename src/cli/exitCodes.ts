/** The CLI's exit codes (README: CLI): one table for every command. */
export const EXIT = { completed: 0, failed: 1, usage: 2, partial: 3, cancelled: 130 } as const;
