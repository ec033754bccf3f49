// Java: javac's own parser (JavacTask.parse(): syntax only, no attribution, no class files) in one
// long-lived JVM. The small worker class is compiled once into a cache folder under the OS temp dir
// (keyed by its source and the javac version), never into the repository.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_MS, ProverToolError, checkSizes, parseAnswer, probe, findTool, inBatches, lineStartsOf,
  positionOf, raceAbort, runShort, verdict, type Prover, type ProverOptions,
} from './common';
import type { ParseVerdict } from '../types';
import { LineWorker } from './worker';

const CLASS = 'TreasureJavaParse';

// In: one JSON array of strings per line. Out: one JSON array per line; per text a list of
// [offset, message] (offset in UTF-16 units, -1 when javac gives none).
const SOURCE = String.raw`
import com.sun.source.util.JavacTask;
import java.io.*;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.*;
import javax.tools.*;

public class ${CLASS} {
  public static void main(String[] args) throws Exception {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    StandardJavaFileManager files = compiler.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
    Writer out = new BufferedWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16);
    Writer quiet = new Writer() {
      public void write(char[] b, int o, int n) {}
      public void flush() {}
      public void close() {}
    };
    // -Xmaxerrs: javac stops reporting after 100 errors per task, and a task parses a whole batch
    List<String> options = Arrays.asList("-proc:none", "-implicit:none", "-Xlint:none", "-nowarn", "-Xmaxerrs", "1000000");
    String line;
    while ((line = in.readLine()) != null) {
      List<String> texts = strings(line);
      String all = null;
      try {
        all = checkAll(compiler, files, quiet, options, texts);
      } catch (Throwable t) {
        all = null; // one text broke javac: parse them one by one to tell which
      }
      if (all != null) {
        out.write(all);
        out.flush();
        continue;
      }
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < texts.size(); i++) {
        if (i > 0) sb.append(',');
        int mark = sb.length();
        try {
          check(compiler, files, quiet, options, texts.get(i), sb);
        } catch (Throwable t) {
          // javac itself failed on this text (a StackOverflowError on very deep nesting): an error, not a crash
          sb.setLength(mark);
          sb.append("[[-1,");
          quote("javac could not parse it: " + t, sb);
          sb.append("]]");
        }
      }
      sb.append("]\n");
      out.write(sb.toString());
      out.flush();
    }
  }

  /** Every text of a batch in one javac task (one context: much cheaper than a task per text). */
  static String checkAll(JavaCompiler compiler, JavaFileManager files, Writer quiet, List<String> options, List<String> texts) throws IOException {
    List<JavaFileObject> objects = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < texts.size(); i++) {
      final String text = texts.get(i);
      URI uri = URI.create("string:///C" + i + ".java");
      objects.add(new SimpleJavaFileObject(uri, JavaFileObject.Kind.SOURCE) {
        @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return text; }
      });
      index.put(uri.toString(), i);
    }
    DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
    JavacTask task = (JavacTask) compiler.getTask(quiet, files, diags, options, null, objects);
    task.parse();
    List<StringBuilder> per = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) per.add(new StringBuilder());
    for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) continue;
      Integer i = d.getSource() == null ? null : index.get(d.getSource().toUri().toString());
      if (i == null) throw new IllegalStateException("an error without its file: " + d.getMessage(Locale.ROOT));
      StringBuilder b = per.get(i);
      if (b.length() > 0) b.append(',');
      String msg = d.getMessage(Locale.ROOT);
      int nl = msg.indexOf('\n');
      if (nl >= 0) msg = msg.substring(0, nl);
      b.append('[').append(d.getPosition() == Diagnostic.NOPOS ? -1 : d.getPosition()).append(',');
      quote(msg, b);
      b.append(']');
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < per.size(); i++) {
      if (i > 0) sb.append(',');
      sb.append('[').append(per.get(i)).append(']');
    }
    return sb.append("]\n").toString();
  }

  static void check(JavaCompiler compiler, JavaFileManager files, Writer quiet, List<String> options, String text, StringBuilder sb) throws IOException {
    DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
    JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///Candidate.java"), JavaFileObject.Kind.SOURCE) {
      @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return text; }
    };
    JavacTask task = (JavacTask) compiler.getTask(quiet, files, diags, options, null, Collections.singletonList(file));
    task.parse();
    sb.append('[');
    boolean first = true;
    for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) continue;
      if (!first) sb.append(',');
      first = false;
      String msg = d.getMessage(Locale.ROOT);
      int nl = msg.indexOf('\n');
      if (nl >= 0) msg = msg.substring(0, nl);
      sb.append('[').append(d.getPosition() == Diagnostic.NOPOS ? -1 : d.getPosition()).append(',');
      quote(msg, sb);
      sb.append(']');
    }
    sb.append(']');
  }

  static void quote(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') sb.append('\\').append(c);
      else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
      else sb.append(c);
    }
    sb.append('"');
  }

  /** A JSON array of strings (the only shape the prover sends). */
  static List<String> strings(String s) {
    List<String> out = new ArrayList<>();
    int i = s.indexOf('[') + 1;
    StringBuilder cur = new StringBuilder();
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '"') {
        cur.setLength(0);
        i++;
        while (s.charAt(i) != '"') {
          char d = s.charAt(i);
          if (d == '\\') {
            char e = s.charAt(++i);
            switch (e) {
              case 'n': cur.append('\n'); break;
              case 'r': cur.append('\r'); break;
              case 't': cur.append('\t'); break;
              case 'b': cur.append('\b'); break;
              case 'f': cur.append('\f'); break;
              case 'u': cur.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
              default: cur.append(e);
            }
          } else cur.append(d);
          i++;
        }
        out.add(cur.toString());
      }
      i++;
    }
    return out;
  }
}
`;

let compiled: Promise<string> | undefined;

/** Compiles the worker class once per javac version into the OS temp dir; resolves with its folder. */
function compileWorker(javac: string, version: string): Promise<string> {
  if (!compiled) {
    compiled = (async () => {
      const key = createHash('sha256').update(SOURCE).update(version).digest('hex').slice(0, 16);
      const root = join(tmpdir(), 'treasure-provers');
      const dir = join(root, `java-${key}`);
      if (existsSync(join(dir, `${CLASS}.class`))) return dir;
      mkdirSync(root, { recursive: true });
      // compiled in a private folder and renamed into place, so two servers never see half a build
      const work = mkdtempSync(join(root, 'java-build-'));
      writeFileSync(join(work, `${CLASS}.java`), SOURCE);
      const r = await runShort(javac, ['-nowarn', '-d', work, join(work, `${CLASS}.java`)], 60_000);
      if (r.code !== 0) {
        rmSync(work, { recursive: true, force: true });
        throw new ProverToolError(`javac could not compile the parse worker: ${r.out.trim().slice(0, 500)}`);
      }
      try {
        renameSync(work, dir);
      } catch {
        rmSync(work, { recursive: true, force: true }); // another process put it there first
      }
      return dir;
    })();
    compiled.catch(() => { compiled = undefined; });
  }
  return compiled;
}

export async function javaProver(opts: ProverOptions = {}): Promise<Prover | null> {
  const javac = findTool('javac');
  const java = findTool('java');
  if (!javac || !java) return null;
  const v = await runShort(javac, ['-version']);
  const m = /javac (\S+)/.exec(v.out);
  if (v.code !== 0 || !m) return null;
  let classDir: string;
  try {
    classDir = await compileWorker(javac, m[1]!);
  } catch {
    return null;
  }
  const name = `javac ${m[1]} parser`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const worker = new LineWorker({
    label: name,
    command: java,
    // a small heap and serial GC: one parse at a time, quick start; CDS (shared classes) when available
    args: ['-Xshare:auto', '-XX:+UseSerialGC', '-Xss8m', '-Xmx512m', '-XX:TieredStopAtLevel=1', '-cp', classDir, CLASS],
    env: { ...process.env, JAVA_TOOL_OPTIONS: '', _JAVA_OPTIONS: '' },
    startupMs: 10_000,
  });
  const prover = {
    name,
    kind: 'native',
    firstErrorOnly: false,
    precision: 'column',
    async parse(texts, o = {}) {
      checkSizes(texts, maxChars, name);
      return inBatches(texts, o.signal, async (batch) => {
        const line = await raceAbort(worker.request(JSON.stringify(batch), timeoutMs), o.signal);
        const answer = parseAnswer<[number, string][][]>(line, name);
        return answer.map((errs, i): ParseVerdict => {
          const starts = errs.length > 0 ? lineStartsOf(batch[i]!) : [];
          return verdict(errs.map(([off, message]) => ({ ...positionOf(starts, Math.max(0, off)), message })));
        });
      });
    },
    dispose: () => worker.dispose(),
    worker,
  } as Prover & { worker: LineWorker };
  return probe(prover, 'class A { void f( }\n');
}
