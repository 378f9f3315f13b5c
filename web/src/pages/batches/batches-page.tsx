/**
 * @module web/pages/batches
 * Batches from files: drop a folder (or pick files or a folder), watch it upload, see the
 * staged files with their problems, start a run of a workflow with a batch step over them
 * (now, at a time, with a priority), then watch its items and save its result. Operators
 * upload, start and remove a staged upload; a viewer sees the page read-only. The run being watched is in the URL
 * (`?run=`), so it can be linked. Loaded on demand.
 */
import { useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError } from '../../api/client.js';
import { useSession } from '../../api/session.js';
import { roleAllows } from '../../api/types.js';
import { ConfirmDialog, ErrorNote } from '../../components/common.js';
import { formatBytes } from '../../lib/time.js';
import { BatchRun } from './batch-run.js';
import type { Upload } from './hooks.js';
import { useDeleteUpload } from './hooks.js';
import { StartForm } from './start-form.js';
import { droppedFiles, pickedFiles, sendUpload } from './upload.js';
import type { PickedFile, UploadProgress } from './upload.js';
import '../../components/forms.css';
import './batches.css';

/** The batches page (default export: loaded with `React.lazy`). */
export default function BatchesPage(): ReactNode {
  const can = roleAllows(useSession().session?.role, 'operator');
  const [sp, setSp] = useSearchParams();
  const runId = sp.get('run') ?? undefined;
  const [upload, setUpload] = useState<Upload>();
  const [removed, setRemoved] = useState<string>();
  const watch = (id: string): void => {
    const next = new URLSearchParams(sp);
    next.set('run', id);
    setSp(next, { replace: true });
  };
  return (
    <>
      <h1>Batches</h1>
      <p className="muted">A folder of files processed in groups by a workflow with a batch step: each file is validated first, then processed, and the results consolidated.</p>
      {!can && <p className="note" data-testid="read-only">You are signed in as a viewer: uploading files and starting runs needs the operator role.</p>}
      <div className="grid batches">
        {can && <UploadPanel onUploaded={(u) => { setUpload(u); setRemoved(undefined); }} />}
        {can && upload && <StagedFiles upload={upload} onRemoved={() => { setRemoved(upload.id); setUpload(undefined); }} />}
        {can && removed && <p className="muted" role="status" data-testid="upload-removed">Upload <span className="mono">{removed}</span> and its files were removed from the server.</p>}
        {can && upload && <StartForm upload={upload} onStarted={watch} />}
        {runId ? <BatchRun runId={runId} /> : !can && <p className="muted">Open a batch run with its link (<span className="mono">/batches?run=ID</span>) to follow its items.</p>}
      </div>
    </>
  );
}

/** The drop zone with its two keyboard-reachable pickers, and the upload's progress. */
function UploadPanel({ onUploaded }: { onUploaded: (u: Upload) => void }): ReactNode {
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<UploadProgress>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | undefined>(undefined);
  const pick = (list: PickedFile[]): void => {
    setFiles(list);
    setError(undefined);
    setProgress(undefined);
  };
  const send = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    abort.current = new AbortController();
    try {
      const u = await sendUpload(files, setProgress, abort.current.signal);
      onUploaded(u);
      setFiles([]);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      abort.current = undefined;
    }
  };
  const bytes = files.reduce((n, f) => n + f.file.size, 0);
  const pct = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;
  return (
    <section className="panel" aria-labelledby="upload-h">
      <h2 id="upload-h">1. Files</h2>
      <div
        className={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          droppedFiles(e.dataTransfer).then(pick, (err: unknown) => setError(err));
        }}
      >
        <p>Drop a folder or files here, or</p>
        <div className="row">
          <label className="button">
            Choose files…
            <input type="file" multiple className="visually-hidden" data-testid="pick-files" onChange={(e) => e.target.files && pick(pickedFiles(e.target.files, false))} />
          </label>
          <label className="button">
            Choose a folder…
            <input type="file" multiple className="visually-hidden" data-testid="pick-folder" {...{ webkitdirectory: '' }} onChange={(e) => e.target.files && pick(pickedFiles(e.target.files, true))} />
          </label>
        </div>
      </div>
      {files.length > 0 && (
        <div className="row picked">
          <span data-testid="picked">{files.length} file{files.length === 1 ? '' : 's'}, {formatBytes(bytes)}</span>
          <span className="spacer" />
          {busy ? <button type="button" onClick={() => abort.current?.abort()}>Stop</button> : <button type="button" className="primary" onClick={() => void send()}>Upload</button>}
        </div>
      )}
      {progress && (busy || pct < 100) && (
        <div className="row">
          <span className="progress wide" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="upload progress">
            <span style={{ width: `${pct}%` }} />
          </span>
          <span className="mono" role="status">{pct}% of {formatBytes(progress.total || bytes)}</span>
        </div>
      )}
      <div data-testid="upload-error"><UploadError error={error} /></div>
    </section>
  );
}

const REFUSED: Record<string, string> = {
  'file-too-large': 'A file is too large',
  'too-many-files': 'Too many files',
  'upload-too-large': 'The upload is too large',
  'bad-file-name': 'A file name is refused',
  'duplicate-file': 'A file is there twice',
  'no-files': 'No file to send',
};

/** Why an upload was refused, as text: the limit's name, then the server's message (which names the file). */
function UploadError({ error }: { error: unknown }): ReactNode {
  if (!error) return null;
  if (error instanceof DOMException && error.name === 'AbortError') return <p className="muted" role="status">Upload stopped: nothing was staged.</p>;
  const what = error instanceof ApiError ? REFUSED[error.code] : undefined;
  if (!what) return <ErrorNote error={error} />;
  return <p className="error" role="alert"><strong>{what}:</strong> {(error as ApiError).message}. Nothing was staged.</p>;
}

/** The files the server staged, with their sizes and problems, and their removal (operators only: the page shows this panel to them alone). */
function StagedFiles({ upload, onRemoved }: { upload: Upload; onRemoved: () => void }): ReactNode {
  const problems = upload.files.filter((f) => f.problem).length;
  const remove = useDeleteUpload();
  const [asking, setAsking] = useState(false);
  return (
    <section className="panel" aria-labelledby="staged-h">
      <div className="row">
        <h2 id="staged-h">2. Staged</h2>
        <span className="spacer" />
        <button type="button" onClick={() => setAsking(true)}>Remove upload…</button>
      </div>
      <p role="status">
        {upload.files.length} file{upload.files.length === 1 ? '' : 's'}, {formatBytes(upload.bytes)} in upload <span className="mono">{upload.id}</span>
        {problems > 0 && <>, <span className="error">{problems} with a problem</span></>}
      </p>
      <div className="scroll-x staged">
        <table data-testid="staged-files">
          <thead><tr><th>Path</th><th>Size</th><th>Problem</th></tr></thead>
          <tbody>
            {upload.files.map((f) => (
              <tr key={f.path} className={f.problem ? 'problem' : undefined}>
                <td className="mono">{f.path}</td>
                <td className="mono">{formatBytes(f.size)}</td>
                <td>{f.problem ? <span className="error">{f.problem}</span> : <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {asking && (
        <ConfirmDialog
          title={`Remove upload ${upload.id} and its ${upload.files.length} file${upload.files.length === 1 ? '' : 's'} from the server? A run started over it can no longer read them.`}
          confirm="Remove upload"
          danger
          onClose={() => setAsking(false)}
          onConfirm={async () => {
            await remove.mutateAsync(upload.id);
            onRemoved();
          }}
        />
      )}
    </section>
  );
}
