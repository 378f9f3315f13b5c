/**
 * @module web/app
 * The app: the query cache, the session, and — once signed in — the live feed, the layout
 * and the pages (the run page, with React Flow, and the comparison of two runs load on demand).
 */
import { lazy, Suspense, useState } from 'react';
import type { ReactNode } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, NavLink, Route, Routes } from 'react-router';
import { SessionProvider, useSession } from './api/session.js';
import { LiveProvider, useLive } from './api/live.js';
import { ApiError } from './api/client.js';
import { prefetchPage } from './api/hooks.js';
import { LoginPage } from './pages/login/login-page.js';
import { OverviewPage } from './pages/overview/overview-page.js';
import { RunsPage } from './pages/runs/runs-page.js';
import { AlertsPage } from './pages/alerts/alerts-page.js';
import type * as RunPageModule from './pages/run/run-page.js';

const loadRunPage = (): Promise<typeof RunPageModule> => import('./pages/run/run-page.js');
const RunPage = lazy(loadRunPage);
const ComparePage = lazy(() => import('./pages/run/compare-page.js'));
const BatchesPage = lazy(() => import('./pages/batches/batches-page.js'));
const WorkflowsPage = lazy(() => import('./pages/workflows/workflows-page.js'));
const SchedulesPage = lazy(() => import('./pages/schedules/schedules-page.js'));
const WorkersPage = lazy(() => import('./pages/workers/workers-page.js'));

/** The query cache: no polling, no refetch on focus (the live feed keeps data fresh). */
function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: Infinity,
        refetchOnWindowFocus: false,
        retry: (n, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && n < 2,
      },
    },
  });
}

/** The dashboard. */
export function App(): ReactNode {
  const [queries] = useState(() => {
    const q = newQueryClient();
    prefetchPage(q, window.location.pathname);
    // Opened on a run's address, the run page's script (with React Flow) is fetched beside
    // the session check instead of after it: the two were the longest wait of the first view.
    if (/^\/runs\/[^/]+\/?$/.test(window.location.pathname)) void loadRunPage().catch(() => undefined);
    return q;
  });
  return (
    <QueryClientProvider client={queries}>
      <SessionProvider>
        <BrowserRouter>
          <Gate />
        </BrowserRouter>
      </SessionProvider>
    </QueryClientProvider>
  );
}

/** The login page until a session exists, then the app. */
function Gate(): ReactNode {
  const { session } = useSession();
  if (session === undefined) return <main><p className="muted" role="status">Loading…</p></main>;
  if (session === null) return <LoginPage />;
  return (
    <LiveProvider>
      <Layout>
        <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
          <Routes>
            <Route path="/" element={<OverviewPage />} />
            <Route path="/runs" element={<RunsPage />} />
            <Route path="/runs/:id" element={<RunPage />} />
            <Route path="/runs/:id/compare/:otherId" element={<ComparePage />} />
            <Route path="/alerts" element={<AlertsPage />} />
            <Route path="/batches" element={<BatchesPage />} />
            <Route path="/workflows" element={<WorkflowsPage />} />
            <Route path="/workflows/:name" element={<WorkflowsPage />} />
            <Route path="/schedules" element={<SchedulesPage />} />
            <Route path="/workers" element={<WorkersPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Layout>
    </LiveProvider>
  );
}

function NotFound(): ReactNode {
  return (
    <>
      <h1>Not found</h1>
      <p>No page here. <NavLink to="/">Go to the overview</NavLink>.</p>
    </>
  );
}

const FEED_LABEL = { connecting: 'connecting', open: 'live', reconnecting: 'reconnecting', stopped: 'offline' } as const;

/** The top bar (navigation, feed status, who is signed in) around a page. */
function Layout({ children }: { children: ReactNode }): ReactNode {
  const { session, logout } = useSession();
  const live = useLive();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <NavLink to="/" className="brand">baton</NavLink>
        <nav aria-label="Main">
          <ul>
            <li><NavLink to="/" end>Overview</NavLink></li>
            <li><NavLink to="/runs">Runs</NavLink></li>
            <li><NavLink to="/alerts">Alerts</NavLink></li>
            <li><NavLink to="/workflows">Workflows</NavLink></li>
            <li><NavLink to="/batches">Batches</NavLink></li>
            <li><NavLink to="/schedules">Schedules</NavLink></li>
            <li><NavLink to="/workers">Workers</NavLink></li>
          </ul>
        </nav>
        <div className="who">
          <span
            className="live"
            data-status={live.status}
            data-received={live.received}
            data-last-event-id={live.lastEventId ?? ''}
            title={`live updates: ${live.received} events received${live.lastEventId ? `, last ${live.lastEventId}` : ''}`}
            role="status"
            aria-live="polite"
            data-testid="feed-status"
          >
            {FEED_LABEL[live.status]}
          </span>
          <span className="muted" data-testid="who">{session?.name || 'signed in'} ({session?.role})</span>
          <button type="button" onClick={() => void logout()}>Log out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </div>
  );
}
