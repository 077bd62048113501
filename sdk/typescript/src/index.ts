// The package's public surface: the client, its errors, the event stream and every type.
export { FluxClient, type FluxClientOptions } from "./client.js";
export {
  ConflictError,
  FluxError,
  InvalidRequestError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
} from "./errors.js";
export { EventStream, type StreamEvent } from "./sse.js";
export type * from "./types.js";
export type { components, paths } from "./schema.js";
