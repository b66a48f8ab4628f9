import { newApp } from "./app";
import type { Bindings } from "./env";

const app = newApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Bindings>;
