export const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
export const titleCase = (s: string) => s.replace(/\b\w/g, (c) => c.toUpperCase());
