import { newApp } from "./app";
import type { Bindings } from "./env";
import { handleQueue } from "./queue/consumer";

const app = newApp();

export default {
  fetch: app.fetch,
  // File processing: the file queue (uploads, R2 event notifications, continuations) and its dead-letter queue.
  queue: (batch, env) => handleQueue(batch, env),
} satisfies ExportedHandler<Bindings>;
