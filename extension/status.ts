// The language status item ({} in the status bar next to the language): which model runs, on
// which device (CPU, or the GPU execution provider), the last fix's latency, and a warning when a
// fix took longer than the time budget.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { StatusResult } from '../language-server/src/protocol';

/** What the item shows. */
export interface StatusView {
  state: 'loading' | 'ready' | 'error';
  model?: string;
  /** 'cpu', or the onnxruntime execution provider in use ('cuda', 'dml', ...). */
  device?: string;
  /** Why this device: the GPU behind the provider, or why 'auto' fell back to the CPU. */
  deviceNote?: string;
  lastFixLatencyMs?: number;
  message?: string;
}

/** The server's treasure/status answer, as the item shows it. */
export function fromServer(s: StatusResult): Partial<StatusView> {
  const model = s.modelDir ? basename(s.modelDir.replace(/[\\/]+$/, '')) : undefined;
  if (s.error) return { state: 'error', model, message: s.error };
  return {
    state: 'ready',
    model,
    device: s.device ?? undefined,
    deviceNote: s.deviceInfo ? (s.deviceInfo.fallback ? `CPU fallback: ${s.deviceInfo.reason}` : s.deviceInfo.adapter) : undefined,
    message: s.modelLoaded ? undefined : 'the model loads with the first request',
  };
}

/** A quick fix slower than this is flagged in the status item. */
export const FIX_LATENCY_BUDGET_MS = 5000;

export function deviceLabel(device: string | undefined): string {
  if (!device) return 'device unknown';
  const d = device.toLowerCase();
  if (d === 'cpu') return 'CPU';
  const names: Record<string, string> = { cuda: 'GPU (CUDA)', dml: 'GPU (DirectML)', directml: 'GPU (DirectML)', coreml: 'GPU (CoreML)', webgpu: 'GPU (WebGPU)', tensorrt: 'GPU (TensorRT)' };
  return names[d] ?? `GPU (${device})`;
}

export class Status implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private last: StatusView = { state: 'loading' };

  constructor(selector: vscode.DocumentSelector) {
    this.item = vscode.languages.createLanguageStatusItem('treasure.status', selector);
    this.item.name = 'Treasure';
    this.item.command = { title: 'Show Output', command: 'treasure.showOutput' };
    this.render();
  }

  update(patch: Partial<StatusView>): void {
    this.last = { ...this.last, ...patch };
    this.render();
  }

  /** A fix (quick fix, fix-all item, generation) finished in `ms`. */
  latency(ms: number): void {
    this.update({ lastFixLatencyMs: ms });
  }

  stopped(message: string): void {
    this.update({ state: 'error', message });
  }

  get current(): StatusView {
    return this.last;
  }

  private render(): void {
    const s = this.last;
    const item = this.item;
    item.busy = s.state === 'loading';
    const model = s.model ?? 'model';
    if (s.state === 'loading') {
      item.text = 'Treasure: loading…';
      item.detail = s.message ?? 'starting the language server';
      item.severity = vscode.LanguageStatusSeverity.Information;
      return;
    }
    if (s.state === 'error') {
      item.text = s.model ? `Treasure: ${s.model} — error` : 'Treasure: stopped';
      item.detail = s.message ?? '';
      item.severity = vscode.LanguageStatusSeverity.Error;
      return;
    }
    item.text = `Treasure: ${model} · ${s.device ? deviceLabel(s.device) : 'device chosen at first use'}`;
    const ms = s.lastFixLatencyMs;
    const note = s.deviceNote ? ` — ${s.deviceNote}` : '';
    if (ms === undefined) {
      item.detail = (s.message ?? 'no fix yet') + note;
      item.severity = vscode.LanguageStatusSeverity.Information;
    } else if (ms > FIX_LATENCY_BUDGET_MS) {
      item.detail = `last fix ${Math.round(ms)} ms — over the ${FIX_LATENCY_BUDGET_MS} ms budget${note}`;
      item.severity = vscode.LanguageStatusSeverity.Warning;
    } else {
      item.detail = `last fix ${Math.round(ms)} ms${note}`;
      item.severity = vscode.LanguageStatusSeverity.Information;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
