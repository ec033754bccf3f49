// The model: one engine per (model folder, device), loaded in the background and said in the status;
// one model job at a time (the CPU is shared), what the user asked for first, no unbounded wait (model-queue.ts).
import { isAbsolute } from 'node:path';
import { describeDevice } from '../device';
import { ModelError, defaultModelDir } from '../engine';
import { loadEngine, type EngineHandle } from '../engine-host';
import { ModelQueue } from '../model-queue';
import { loadableGrammars } from '../parsing';
import { StatusNotification, type StatusResult } from '../protocol';
import type { Device, TreasureSettings } from '../settings';
import type { ServerIO } from './io';

export type EngineLoader = (opts: { modelDir: string; device: Device }) => Promise<EngineHandle>;

export class Engines {
  private readonly engines = new Map<string, Promise<EngineHandle>>();
  private readonly loaded = new Map<string, EngineHandle>();
  private readonly errors = new Map<string, string>();
  private readonly shownErrors = new Set<string>();
  private languages: Promise<string[]> | undefined;
  /** One model job at a time: interactive before speculative, a latest start for each, identical fixes once. */
  readonly queue = new ModelQueue();

  constructor(
    private readonly io: ServerIO,
    /** Loads a model (the engine's thread; a test gives an engine of its own). */
    private readonly load: EngineLoader = loadEngine,
  ) {}

  private languagesOk(): Promise<string[]> {
    return (this.languages ??= loadableGrammars());
  }

  private async notifyStatus(dir: string, engine: EngineHandle | null, error: string | null): Promise<void> {
    const status: StatusResult = { modelDir: dir, modelLoaded: !!engine, device: engine?.device ?? null, deviceInfo: engine?.deviceInfo ?? null, error, languages: await this.languagesOk() };
    await this.io.notify(StatusNotification, status).catch(() => undefined);
  }

  /** The engine for these settings (loaded once; loaded again when its thread stopped). */
  engineFor(settings: TreasureSettings): Promise<EngineHandle> {
    const dir = settings.model.path || defaultModelDir();
    const key = `${dir}\u0000${settings.device}`;
    if (this.loaded.get(key)?.alive === false) {
      this.io.log(`the model's thread stopped; loading the model again`);
      this.engines.delete(key);
      this.loaded.delete(key);
    }
    let e = this.engines.get(key);
    if (!e) {
      const t0 = performance.now();
      // a relative folder would be read against wherever the server happens to run
      e = isAbsolute(dir)
        ? this.load({ modelDir: dir, device: settings.device })
        : Promise.reject(new ModelError(`treasure.model.path "${dir}" is not an absolute folder: set the full path of the model folder`));
      e.then((eng) => this.loaded.set(key, eng), () => undefined);
      e.then(
        (eng) => {
          this.errors.delete(key);
          this.io.log(`model loaded from ${eng.modelDir} on ${eng.device} in ${Math.round(performance.now() - t0)} ms`);
          if (eng.deviceInfo) this.io.log(`device: ${describeDevice(eng.deviceInfo)}; tried ${eng.deviceInfo.tried.map((t) => `${t.provider} ${t.ok ? 'ok' : t.skipped ? 'skipped' : 'failed'}`).join(', ')}`);
          void this.notifyStatus(dir, eng, null);
        },
        (err: unknown) => {
          this.engines.delete(key);
          this.errors.set(key, (err as Error).message);
          this.io.log(`model: ${(err as Error).message}`);
          if (!this.shownErrors.has(key)) {
            this.shownErrors.add(key);
            this.io.show('error', `Treasure could not load its model: ${(err as Error).message}`);
          }
          void this.notifyStatus(dir, null, (err as Error).message);
        },
      );
      this.engines.set(key, e);
    }
    return e;
  }

  /** The status for these settings at once (the model loads in the background: warm-up, or the first fix). */
  async status(settings: TreasureSettings): Promise<StatusResult> {
    const dir = settings.model.path || defaultModelDir();
    const key = `${dir}\u0000${settings.device}`;
    const engine = this.loaded.get(key) ?? null;
    return { modelDir: dir, modelLoaded: !!engine, device: engine?.device ?? null, deviceInfo: engine?.deviceInfo ?? null, error: this.errors.get(key) ?? null, languages: await this.languagesOk() };
  }

  /** The loaded engines (the benchmark asks each for its thread's memory). */
  loadedEngines(): EngineHandle[] {
    return [...this.loaded.values()];
  }
}
