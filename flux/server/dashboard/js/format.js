// Times, durations, sizes and values as people read them.

export function parseTime(value) {
  if (value === null || value === undefined || value === "") return null;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function dateTime(value) {
  const ms = parseTime(value);
  if (ms === null) return "—";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function clock(value) {
  const ms = parseTime(value);
  if (ms === null) return "—";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  const sign = ms < 0 ? "-" : "";
  ms = Math.abs(ms);
  if (ms < 1000) return `${sign}${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${sign}${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min ${Math.round(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${sign}${hours} h ${m % 60} min`;
  return `${sign}${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "3 min ago", "in 5 s" */
export function relative(value, now = Date.now()) {
  const ms = parseTime(value);
  if (ms === null) return "—";
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return "now";
  const text = duration(Math.abs(delta)).replace(/ (\d+) (s|min)$/, "");
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

export function number(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US");
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return "—";
  const p = ratio * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

export function bytes(n) {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

export function shortId(id) {
  if (!id) return "—";
  const prefix = id.startsWith("job-") ? "job-" : "";
  const body = id.slice(prefix.length);
  // A subworkflow run is "<parent id>-<position>": keep the position, or siblings look alike.
  const child = /^([0-9a-f]{32})(-.+)$/.exec(body);
  if (child) return `${prefix}${child[1].slice(0, 8)}…${child[2]}`;
  return prefix + (body.length <= 14 ? body : body.slice(0, 8));
}

export function json(value) {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** Elapsed time of a run or a step: to `end`, or to now while it is still going. */
export function elapsed(start, end) {
  const a = parseTime(start);
  if (a === null) return null;
  const b = parseTime(end) ?? Date.now();
  return b - a;
}
