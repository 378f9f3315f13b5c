// Generated from the API's OpenAPI document by openapi-typescript: `npm run gen:api-types`. Do not edit.
export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is up */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The store is reachable and migrated */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (text exposition format) */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List runs, newest first */
        get: operations["listRuns"];
        put?: never;
        /**
         * Create a run of a registered workflow
         * @description Refused with 429 and `Retry-After` while as many runs wait to start as the server's `backpressure.reject` (1000 by default), delayed runs (`at`) too.
         */
        post: operations["createRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run with its step runs and attempts */
        get: operations["getRun"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search a run's logs
         * @description Every attempt's log (of one step with `step`), read from this server's files or, for attempts a fleet worker ran elsewhere, from the chunks it shipped to the store; line by line, at most `limit` matches in attempt and line order. A line is searched in its first 4096 characters. A regex that does not compile is refused with 400 `bad-pattern`; one that backtracks past 2 s of matching with 400 `pattern-too-slow`.
         */
        get: operations["searchRunLogs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/diagnosis": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Diagnose a run's failed steps
         * @description For each failed step (or `step`): a classification from the evidence of its latest failed attempt (log lines with byte offsets, read from the last 64 KiB of its log; exit code; failure), what changed since the workflow's last successful run, earlier failures of the same signature over 30 days (at most 200 failed attempts read) and how they ended, and ranked recovery commands (none applied). Every quoted text is masked with the run's secrets.
         */
        get: operations["getRunDiagnosis"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/diagnosis/apply": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Apply a recovery of the diagnosis: re-run the run as it says
         * @description Diagnoses the run again and applies the recovery of that rank (a `baton retry RUN --failed` or `--from STEP`) as POST /runs/{id}/retry would, recording in the `rerun` event who approved it and which recovery it was. A recovery that starts a new run from the workflow file is refused (400): run it by hand.
         */
        post: operations["applyRunRecovery"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a run (its holder stops it within a heartbeat) */
        post: operations["cancelRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause a run: no new step starts; running ones finish */
        post: operations["pauseRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume a paused run, or one whose holder died */
        post: operations["resumeRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retry a run: as a new run, only its failed steps, or from a step on */
        post: operations["retryRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/signals/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a signal to a run: its steps with `wait: { signal: name }` take the JSON body as their output, now or when they start waiting */
        post: operations["signalRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/steps/{step}/approval": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve or reject an `approval:` step (an approval with `role: admin` needs an admin token) */
        post: operations["answerApproval"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/priority": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change the priority of a pending or queued run */
        post: operations["setRunPriority"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Schedules with their next 5 fire times */
        get: operations["listSchedules"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{workflow}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause schedules: no tick fires until resumed */
        post: operations["pauseWorkflowSchedules"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{workflow}/{name}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause schedules: no tick fires until resumed */
        post: operations["pauseSchedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{workflow}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume schedules (ticks that fell while paused are not replayed) */
        post: operations["resumeWorkflowSchedules"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{workflow}/{name}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume schedules (ticks that fell while paused are not replayed) */
        post: operations["resumeSchedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/queue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The queue: step runs waiting to start, by pool and effective priority
         * @description The same reading as `baton_queue_depth` and `baton_queue_oldest_age_seconds` of `/metrics`.
         */
        get: operations["getQueue"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Fleet workers (PostgreSQL); empty on SQLite */
        get: operations["listWorkers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workers/{id}/drain": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Drain a worker: it claims nothing new and exits once idle */
        post: operations["drainWorker"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/breakers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Circuit breakers, by key (a key never used has none: it is closed) */
        get: operations["listBreakers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/breakers/{key}/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Close a circuit breaker now: the steps waiting behind it start */
        post: operations["resetBreaker"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** API tokens (never their secrets) */
        get: operations["listTokens"];
        put?: never;
        /** Create a token; its secret is in this response only */
        post: operations["createToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a token */
        delete: operations["revokeToken"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every state change, live, as Server-Sent Events
         * @description Each message: `id` = a cursor, `data` = the event as JSON (`type`, `runId`, `stepId`, `from`, `to`, `at`, `workflow`, ...). Reconnect with the `Last-Event-ID` header (EventSource does this by itself) or `?after=` to resume exactly after the last event received; without either the stream starts at the present.
         *
         *     Alert changes are events too, in commit order with the rest: `type` `alert`, `alertId`, `from` and `to` the alert states before and after (`from` absent when it fired; equal when it was seen again or escalated), `runId` the run it is about (`''` for none: a worker, a schedule), `stepId` its step if any, `workflow` its subject's (`''` for none), and `data` `{ alertId, rule, kind, severity, summary, change, actor, subject }`, `change` being `fired`, `seen-again`, `acknowledged`, `resolved`, `silenced`, `unsilenced`, `refired` or `escalated`.
         */
        get: operations["streamEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/steps/{step}/attempts/{number}/log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * An attempt's log: a byte range, or a live tail
         * @description Plain text: the attempt's log file when this server has it, else (fleet, PostgreSQL) the chunks the worker that ran it shipped to the store, the same bytes at the same offsets. `X-Log-Size` is the size when read, `X-Log-Offset` where the bytes sent start and `X-Log-Next-Offset` where the next read starts; `tail=N` reads the last N bytes, the page a viewer opens a long log on. With `follow=true` the response streams what the attempt writes until it ends (new chunks are read every 250 ms).
         */
        get: operations["getAttemptLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Alerts, newest first */
        get: operations["listAlerts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/alerts/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every rule in effect for all workflows, with its source: the config file's (or the built-in ones), and those set through the API */
        get: operations["listAlertRules"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/alert-rules/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Set an alert rule: stored, it overrides the config's (or the built-in) rule of this name on every server of the store within about a second
         * @description A 400 (`invalid-rule`) names the first problem's field in its message; `error.details` lists every problem (`path`, `message`, `suggestion`).
         */
        put: operations["setAlertRule"];
        post?: never;
        /** Delete a rule set through the API: the config's (or the built-in) rule of its name applies again */
        delete: operations["deleteAlertRule"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/alerts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One alert with its events and deliveries */
        get: operations["getAlert"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/alerts/{id}/ack": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Acknowledge: stops escalation and reminders */
        post: operations["acknowledgeAlert"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/alerts/{id}/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resolve by hand */
        post: operations["resolveAlert"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/silences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Silences in effect or to come */
        get: operations["listSilences"];
        put?: never;
        /** Silence matching alerts for a while */
        post: operations["createSilence"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/silences/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** End a silence now */
        delete: operations["expireSilence"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Runs that ended since a time: by hour or day, per workflow and per step (count, p50/p95 duration, failure rate), the most failing steps */
        get: operations["getHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/history/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Runs that ended since a time, with their step runs (no outputs), oldest end first, page by page */
        get: operations["exportHistoryRuns"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/forecast": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Load forecast: runs queued and step-seconds per hour, the last 48 hours and the next ones, with the model and its backtest against the naive seasonal forecast */
        get: operations["getForecast"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The session the cookie holds, with a CSRF token
         * @description What the dashboard asks when it opens: 401 means log in. A bearer token has no session: 404 `no-session`.
         */
        get: operations["getSession"];
        put?: never;
        /**
         * Log in: exchange an API token for a session cookie
         * @description Sets the `baton_session` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over TLS) for 12 hours. Every route then accepts the cookie in place of the bearer token, with the token's role; a POST, PUT, PATCH or DELETE made with it must send the answer's `csrfToken` as `X-CSRF-Token` (else 403 `csrf`). Logging in again replaces the session the cookie held.
         */
        post: operations["createSession"];
        /** Log out: end the session and clear its cookie */
        delete: operations["deleteSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stage files for a batch run
         * @description multipart/form-data with one file part per file; a part's filename is its path inside the upload (a folder's files keep their relative paths; `..`, control characters and over-long names are refused). All or nothing: a file over 104857600 bytes, more than 10000 files or over 1073741824 bytes in all answers 413 naming the file, and nothing is kept. An empty file is kept and marked `problem: empty`.
         */
        post: operations["createUpload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A staged upload and its files */
        get: operations["getUpload"];
        put?: never;
        post?: never;
        /** Remove a staged upload and its files */
        delete: operations["deleteUpload"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a run of a workflow with a batch step over an upload's files
         * @description The workflow's batch step validates every file first (its `validate:`), so a broken file is named before any group runs; the run's batch output counts items done, failed and skipped.
         */
        post: operations["createUploadRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Registered workflows with their newest version */
        get: operations["listWorkflows"];
        put?: never;
        /** Register a workflow (a changed definition is a new version) */
        post: operations["registerWorkflow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate a workflow without registering it */
        post: operations["validateWorkflow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A workflow: its versions, newest first, and the newest definition */
        get: operations["getWorkflow"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{name}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version of a workflow */
        get: operations["getWorkflowVersion"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/hooks/{workflow}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a run of a workflow with the JSON body as params (HMAC-signed, no token)
         * @description `x-baton-signature` is `sha256=` + hex HMAC-SHA256 of `<timestamp>.<delivery>.<raw body>` keyed with the workflow's webhook secret. Signatures of `<timestamp>.<raw body>` alone (before the delivery id was signed) are refused.
         */
        post: operations["postWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        SilenceMatcherInput: {
            name: string;
            value: string;
            glob?: boolean;
        };
        Error: {
            error: {
                code: string;
                message: string;
                details?: unknown;
                /** @description on 500s: the id the server logged the failure under */
                requestId?: string;
            };
        };
        Failure: {
            type: string;
            message: string;
            retryable: boolean;
            details?: unknown;
            /** @description the wait the failed party asked for before the next try, ms (an HTTP Retry-After) */
            retryAfterMs?: number;
        };
        RunEta: {
            /** @description predicted end, median, ms since epoch; null when unknown or the run has ended */
            p50: number | null;
            /** @description predicted end, 90th percentile (never before p50), ms since epoch; null when unknown or the run has ended */
            p90: number | null;
            /**
             * @description what it came from: 'steps', the duration history of the run's steps along its remaining DAG; 'runs', the durations of the workflow's succeeded runs; 'unknown', neither (no history, or the run has ended)
             * @enum {string}
             */
            basis: "steps" | "runs" | "unknown";
            /** @description when the run must have ended (its workflow's or schedule entry's `deadline:`), ms since epoch; absent when none is declared. At risk while p90 is past it */
            deadline?: number;
        };
        Run: {
            id: string;
            workflow: string;
            version: string;
            /** @enum {string} */
            state: "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
            /** @enum {string} */
            trigger: "manual" | "schedule" | "backfill" | "api" | "webhook" | "retry" | "parent";
            params: {
                [key: string]: unknown;
            };
            priority: number;
            concurrency?: number;
            stepCount: number;
            /** @description ms since the Unix epoch */
            createdAt: number;
            /** @description ms since the Unix epoch */
            startedAt?: number;
            /** @description ms since the Unix epoch */
            endedAt?: number;
            /** @description why it ended so: cancelled, run-timeout, or for a run with hook steps the failed steps, e.g. "steps failed: work; hooks failed: cleanup" */
            reason?: string;
            /** @description the process holding the run */
            owner?: string;
            ownerHost?: string;
            ownerPid?: number;
            /** @description ms since the Unix epoch */
            leaseExpiresAt?: number;
            /** @description ms since the Unix epoch */
            cancelRequestedAt?: number;
            /** @description a pending run becomes queued at this time */
            dueAt?: number;
            scheduleId?: string;
            /** @description ms since the Unix epoch */
            tickAt?: number;
            /** @description set while the run is paused */
            pausedAt?: number;
            /** @description ms since the Unix epoch */
            queuedAt?: number;
            /** @description the run this one retries */
            retryOf?: string;
            /** @description a child run (trigger `parent`): the run whose sub-workflow step started it */
            parentRunId?: string;
            /** @description a child run: the sub-workflow step that started it */
            parentStepId?: string;
            /** @description a child run: how many parents are above it (absent for a run no step started) */
            depth?: number;
            /** @description how long it has waited queued, ms */
            waitedMs?: number;
            /** @description GET /runs and GET /runs/{id}: when the run is predicted to end, from the history of its steps (null figures once it has ended) */
            eta?: components["schemas"]["RunEta"];
        };
        BatchProgress: {
            /** @description items whose group succeeded */
            done: number;
            /** @description items whose group failed after its retries */
            failed: number;
            /** @description items that failed validation */
            invalid: number;
            /** @description every item, invalid ones included */
            total: number;
        };
        StepSignal: {
            /** @description the signal name; `approval` for an approval step */
            name: string;
            /** @description the signal's JSON payload (the step's output); for an approval, `{ approved, note? }` */
            payload: unknown;
            /** @description who sent it: api:<token name>, cli:<user> */
            by?: string;
            /** @description ms since the Unix epoch */
            at: number;
        };
        StepRun: {
            stepId: string;
            position: number;
            /** @enum {string} */
            state: "pending" | "queued" | "running" | "retrying" | "succeeded" | "failed" | "skipped" | "cancelled";
            attempts: number;
            lostAttempts: number;
            /** @description ms since the Unix epoch */
            queuedAt?: number;
            /** @description when a retrying step is queued again */
            dueAt?: number;
            /** @description ms since the Unix epoch */
            startedAt?: number;
            /** @description ms since the Unix epoch */
            endedAt?: number;
            output?: unknown;
            error?: components["schemas"]["Failure"];
            reason?: string;
            /** @description how long it has waited queued, ms */
            waitedMs?: number;
            /** @description fleet mode: why its published attempt is not claimed by a worker yet */
            waiting?: {
                /** @enum {string} */
                reason: "no-worker" | "no-matching-worker" | "circuit-open" | "pool-full" | "workers-busy" | "claimable";
                detail: string;
                missingTags?: string[];
                waitedMs: number;
            };
            /** @description a batch step whose groups are planned: its items as the stored groups stand (the live feed's `batch` events carry the same counts as each group ends) */
            batch?: components["schemas"]["BatchProgress"];
            /** @description an item of a mapped step (step id `<step>[<index>]`, listed after its step): the item it runs for, as recorded when the step expanded (a `map` event) */
            item?: unknown;
            /** @description a `wait:` or `approval:` step: the answer it received (it may arrive before the step waits); absent while it waits */
            signal?: components["schemas"]["StepSignal"];
            /** @description a queued step run held back because its circuit breaker is open; absent once it starts */
            circuit?: {
                /** @enum {string} */
                reason: "circuit-open";
                /** @description the breaker key (GET /breakers) */
                breaker: string;
                /** @description when its half-open trial may start; absent while another step's trial is out */
                until?: number;
            };
        };
        Breaker: {
            /** @description pool:NAME, http:HOST, step:WORKFLOW/STEP, or the key a workflow named */
            key: string;
            /** @enum {string} */
            state: "closed" | "open" | "half-open";
            consecutiveFailures: number;
            /** @description calls recorded inside the rate window */
            callsInWindow: number;
            failedInWindow: number;
            /** @description ms since the Unix epoch */
            openedAt?: number;
            /** @description while open: when one trial attempt may start */
            nextTrialAt?: number;
            /** @description while half-open: the attempt that is the trial */
            trialAttempt?: string;
            /** @description why it is in its state, e.g. "5 consecutive failures", "trial succeeded" */
            reason?: string;
            /** @description ms since the Unix epoch */
            updatedAt: number;
        };
        Attempt: {
            /** @description stable: <run>.<step>.<number>, usable as an idempotency key */
            id: string;
            runId: string;
            stepId: string;
            number: number;
            state: string;
            /** @description ms since the Unix epoch */
            startedAt: number;
            /** @description ms since the Unix epoch */
            endedAt?: number;
            exitCode?: number;
            error?: components["schemas"]["Failure"];
            logPath?: string;
            pid?: number;
            peakRssBytes?: number;
            cpuMs?: number;
            worker?: string;
        };
        RunDetail: {
            run: components["schemas"]["Run"];
            /** @description the OpenTelemetry trace id of the run's spans: the first 16 bytes of SHA-256 of the run id, hex (known from the run's creation, whether or not traces are exported) */
            traceId: string;
            steps: components["schemas"]["StepRun"][];
            attempts: components["schemas"]["Attempt"][];
        };
        RunPage: {
            runs: components["schemas"]["Run"][];
            next?: string;
        };
        WorkflowSummary: {
            name: string;
            latestVersion: string;
            versions: number;
            /** @description ms since the Unix epoch */
            updatedAt: number;
        };
        WorkflowVersion: {
            name: string;
            version: string;
            /** @description ms since the Unix epoch */
            createdAt: number;
            definition: unknown;
            sourcePath?: string;
        };
        SpecError: {
            code: string;
            message: string;
            path: string;
            file?: string;
            line?: number;
            column?: number;
            /** @description set when the field came from a step template: `file`/`line` above point into the template, this names the step whose `extend` used it */
            extendedBy?: {
                template: string;
                step?: string;
                path: string;
                file?: string;
                line?: number;
                column?: number;
            };
        };
        Schedule: {
            id: string;
            workflow: string;
            version: string;
            paused: boolean;
            spec: unknown;
            /** @description ms since the Unix epoch */
            lastTickAt?: number;
            /**
             * @description what the tick at lastTickAt did; skipped-backpressure: intake refused its run (absent when a resume moved lastTickAt)
             * @enum {string}
             */
            lastOutcome?: "created" | "skipped-overlap" | "skipped-misfire" | "skipped-backpressure";
            /** @description ms since the Unix epoch */
            updatedAt: number;
            nextFireTimes: number[];
        };
        Worker: {
            id: string;
            host: string;
            pid: number;
            platform: string;
            /** @description tags runs-on can name (the platform counts too): those given to the worker and, for baton worker, those it detected (architecture, tools on its PATH, gpu) */
            tags: string[];
            slots: number;
            version: string;
            /** @description its machine, read when it started; absent for workers of an older baton */
            facts?: {
                /** @description os.arch(): x64, arm64, … */
                arch: string;
                /** @description CPUs the worker can use */
                cpus: number;
                /** @description total memory of its machine, bytes */
                memoryBytes: number;
            };
            /**
             * @description lost: not stopped, but no heartbeat within its lease (it died)
             * @enum {string}
             */
            state: "active" | "draining" | "stopped" | "lost";
            /** @description ms since the Unix epoch */
            startedAt: number;
            /** @description ms since the Unix epoch */
            heartbeatAt: number;
            heartbeatAgeMs: number;
            /** @description lease of its claims, ms: a heartbeat older than this makes it lost */
            leaseMs?: number;
            /** @description ms since the Unix epoch */
            stoppedAt?: number;
            load?: {
                cpu: number;
                mem: number;
                slotsInUse: number;
                /** @description it claims nothing now: its adaptive limit is below its slots and all in use */
                throttled?: boolean;
                /** @description slots it may use now, by its adaptive throttle (≤ slots); absent with --no-throttle */
                limit?: number;
                /** @description why limit is below slots: "cpu 93 % > 80 %", "memory 85 % > 80 %", "event-loop lag 250 ms > 200 ms" */
                limitReason?: string;
            };
        };
        QueueGroup: {
            /** @description the steps' pool; empty for steps without one */
            pool: string;
            /** @description effective priority: the step's priority plus its run's */
            priority: number;
            /** @description step runs waiting */
            count: number;
            /** @description when the longest-waiting of them became ready */
            oldestQueuedAt: number;
            /** @description how long it has waited, ms */
            oldestAgeMs: number;
        };
        Queue: {
            /** @description step runs queued (ready, waiting for a slot), as `baton_queue_depth` */
            queued: number;
            /** @description step runs waiting (queued, or published and not claimed by a fleet worker) by pool and effective priority, highest priority first */
            groups: components["schemas"]["QueueGroup"][];
        };
        Token: {
            id: string;
            name: string;
            /** @enum {string} */
            role: "viewer" | "operator" | "admin";
            /** @description ms since the Unix epoch */
            createdAt: number;
            /** @description ms since the Unix epoch */
            lastUsedAt?: number;
            /** @description ms since the Unix epoch */
            revokedAt?: number;
        };
        Alert: {
            id: string;
            /** @description rule + subject: one open alert per key */
            key: string;
            rule: string;
            kind: string;
            /** @enum {string} */
            severity: "info" | "warning" | "critical";
            /** @enum {string} */
            state: "firing" | "acknowledged" | "silenced" | "resolved";
            summary: string;
            subject: {
                [key: string]: string;
            };
            labels: {
                [key: string]: string;
            };
            details?: {
                [key: string]: unknown;
            };
            groupKey: string;
            /** @description ms since the Unix epoch */
            firedAt: number;
            /** @description ms since the Unix epoch */
            updatedAt: number;
            /** @description ms since the Unix epoch */
            acknowledgedAt?: number;
            acknowledgedBy?: string;
            /** @description ms since the Unix epoch */
            resolvedAt?: number;
            resolvedBy?: string;
            /** @description times the condition was seen while open */
            count: number;
            /** @enum {string} */
            notified?: "firing" | "resolved";
            /** @description ms since the Unix epoch */
            notifiedAt?: number;
            level: number;
            round: number;
            escalationDone: boolean;
            version: number;
        };
        AlertRuleInfo: {
            name: string;
            kind: string;
            /**
             * @description builtin: no alerts: in the config; config: baton.config.yaml; api: set with PUT /alert-rules/{name}, overriding the others of its name
             * @enum {string}
             */
            source: "builtin" | "config" | "api";
            /** @enum {string} */
            severity: "info" | "warning" | "critical";
            enabled: boolean;
            /** @description channels of its first message */
            notify: string[];
            /** @description the rule as written, in the shape of a baton.config.yaml rule */
            definition?: {
                [key: string]: unknown;
            };
        };
        AlertEvent: {
            seq: number;
            alertId: string;
            /** @description ms since the Unix epoch */
            at: number;
            type: string;
            actor: string;
            note?: string;
            data?: {
                [key: string]: unknown;
            };
        };
        Delivery: {
            id: string;
            channel: string;
            reason: string;
            /** @enum {string} */
            state: "pending" | "delivered" | "failed";
            attempts: number;
            /** @description ms since the Unix epoch */
            nextAt: number;
            /** @description ms since the Unix epoch */
            createdAt: number;
            /** @description ms since the Unix epoch */
            deliveredAt?: number;
            /** @description HTTP status, SMTP reply code or exit code */
            statusCode?: number;
            error?: string;
            alertIds: string[];
        };
        SilenceMatcher: {
            name: string;
            value: string;
            glob?: boolean;
        };
        Silence: {
            id: string;
            matchers: components["schemas"]["SilenceMatcher"][];
            /** @description ms since the Unix epoch */
            startsAt: number;
            /** @description ms since the Unix epoch */
            endsAt: number;
            createdBy: string;
            comment?: string;
            /** @description ms since the Unix epoch */
            createdAt: number;
            /** @description ms since the Unix epoch */
            expiredAt?: number;
        };
        LogMatch: {
            stepId: string;
            /** @description the attempt number, from 1 */
            attempt: number;
            /** @description line number in the attempt's log, from 1 */
            line: number;
            /** @description byte offset of the line's start in the attempt's log (read the log from there to show it) */
            offset: number;
            /** @description the line as stored (secrets masked), without its newline; at most its first 4096 characters */
            text: string;
        };
        LogSearch: {
            matches: components["schemas"]["LogMatch"][];
            /** @description more lines matched than limit: only the first limit are given */
            truncated: boolean;
        };
        HistoryBucket: {
            /** @description the bucket's start (a UTC hour or day), ms since the Unix epoch */
            start: number;
            succeeded: number;
            failed: number;
            cancelled: number;
        };
        WorkflowHistory: {
            workflow: string;
            runs: number;
            succeeded: number;
            failed: number;
            cancelled: number;
            /** @description failed / (succeeded + failed); null when neither */
            failureRate: number | null;
            /** @description median duration, ms (continuous percentile); absent when none has a duration */
            p50Ms?: number;
            /** @description 95th percentile duration, ms (continuous percentile); absent when none has a duration */
            p95Ms?: number;
        };
        StepHistory: {
            workflow: string;
            stepId: string;
            count: number;
            succeeded: number;
            failed: number;
            /** @description failed / (succeeded + failed); null when neither */
            failureRate: number | null;
            /** @description median duration, ms (continuous percentile); absent when none has a duration */
            p50Ms?: number;
            /** @description 95th percentile duration, ms (continuous percentile); absent when none has a duration */
            p95Ms?: number;
        };
        FailingStep: {
            workflow: string;
            stepId: string;
            failures: number;
            /** @description ms since the Unix epoch */
            lastFailureAt: number;
            lastRunId: string;
            lastError?: string;
            lastErrorType?: string;
        };
        History: {
            /** @description ms since the Unix epoch */
            since: number;
            /** @description ms since the Unix epoch */
            until: number;
            /** @enum {string} */
            by: "hour" | "day";
            workflow?: string;
            /** @description every bucket of the window, oldest first, empty ones included */
            buckets: components["schemas"]["HistoryBucket"][];
            workflows: components["schemas"]["WorkflowHistory"][];
            /** @description by workflow, then definition order; at most 1,000 */
            steps: components["schemas"]["StepHistory"][];
            /** @description more steps ran than `steps` lists */
            stepsTruncated: boolean;
            /** @description most failures first, then the latest; at most 10 */
            topFailing: components["schemas"]["FailingStep"][];
        };
        ForecastErrors: {
            /** @description mean absolute error, in the series' unit */
            mae: number;
            /** @description symmetric mean absolute percentage error, a fraction (0..2) */
            smape: number;
            /** @description mean absolute scaled error (MAE over the mean absolute change from the naive period before); null for a constant series */
            mase: number | null;
        };
        SeriesForecast: {
            /**
             * @description double-seasonal: Taylor's double seasonal Holt-Winters (day and week, from two weeks of history); daily: Holt-Winters with a daily season (two days to two weeks); null: under two days, no forecast
             * @enum {string|null}
             */
            model: "double-seasonal" | "daily" | null;
            /**
             * @description the naive forecast of the backtest: the same hour a week (or a day) before
             * @enum {string|null}
             */
            naive: "week" | "day" | null;
            /** @description rolling-origin backtest over the latest 14 days of origins; absent without a full horizon after the first */
            backtest?: {
                origins: number;
                horizon: number;
                model: components["schemas"]["ForecastErrors"];
                naive: components["schemas"]["ForecastErrors"];
            };
        };
        Forecast: {
            workflow?: string;
            /** @description hours of history the models read (from the first hour with any load, at most eight weeks) */
            historyHours: number;
            /** @description the last 48 complete UTC hours, oldest first */
            history: {
                /** @description ms since the Unix epoch */
                start: number;
                /** @description runs that became queued in the hour (by when each became due) */
                queuedRuns: number;
                /** @description attempt seconds within the hour */
                stepSeconds: number;
            }[];
            /** @description from the current UTC hour on; empty when the history is too short */
            forecast: {
                /** @description ms since the Unix epoch */
                start: number;
                /** @description runs that became queued in the hour (by when each became due) */
                queuedRuns: number;
                /** @description attempt seconds within the hour */
                stepSeconds: number;
            }[];
            queuedRuns: components["schemas"]["SeriesForecast"];
            stepSeconds: components["schemas"]["SeriesForecast"];
            /** @description why there is no forecast, when there is none */
            tooShort?: string;
        };
        StepExport: {
            stepId: string;
            position: number;
            /** @enum {string} */
            state: "pending" | "queued" | "running" | "retrying" | "succeeded" | "failed" | "skipped" | "cancelled";
            attempts: number;
            /** @description ms since the Unix epoch */
            startedAt?: number;
            /** @description ms since the Unix epoch */
            endedAt?: number;
            /** @description of its last attempt, ms */
            durationMs?: number;
            reason?: string;
            /** @description the failure's message */
            error?: string;
        };
        RunExport: {
            id: string;
            workflow: string;
            version: string;
            /** @enum {string} */
            state: "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
            /** @enum {string} */
            trigger: "manual" | "schedule" | "backfill" | "api" | "webhook" | "retry" | "parent";
            /** @description ms since the Unix epoch */
            createdAt: number;
            /** @description ms since the Unix epoch */
            startedAt?: number;
            /** @description ms since the Unix epoch */
            endedAt: number;
            durationMs?: number;
            reason?: string;
            steps: components["schemas"]["StepExport"][];
        };
        RunExportPage: {
            runs: components["schemas"]["RunExport"][];
            next?: string;
        };
        Session: {
            /**
             * @description the token's role: what the session may do
             * @enum {string}
             */
            role: "viewer" | "operator" | "admin";
            /** @description the token's name */
            name: string;
            /** @description ms since the epoch; log in again after it */
            expiresAt: number;
            /** @description send as `X-CSRF-Token` with every POST, PUT, PATCH or DELETE made with the session cookie */
            csrfToken: string;
        };
        UploadedFile: {
            /** @description its path inside the upload, `/`-separated */
            path: string;
            /** @description bytes */
            size: number;
            sha256: string;
            /** @description what a run may mind (`empty`) */
            problem?: string;
        };
        Upload: {
            id: string;
            /** @description ms since the Unix epoch */
            createdAt: number;
            by: string;
            files: components["schemas"]["UploadedFile"][];
            /** @description all files, bytes */
            bytes: number;
            /** @description the server's folder holding the files: what the run's param receives */
            dir: string;
            /** @description the runs started over it, in start order; absent until the first */
            runs?: string[];
        };
        Evidence: {
            /** @description e1, e2…: unique within the step's diagnosis; recoveries cite them */
            id: string;
            /** @enum {string} */
            kind: "log" | "exit-code" | "failure" | "output";
            /** @description the quoted text, secrets masked */
            text: string;
            /** @description for log: byte offset of the line's start in the attempt's log */
            offset?: number;
            /** @description for log: line number from 1, when the 64 KiB read covers the log from its start */
            line?: number;
        };
        ParamChange: {
            key: string;
            from?: unknown;
            to?: unknown;
        };
        StepDiagnosis: {
            stepId: string;
            /** @description the attempt diagnosed: the latest failed one */
            attempt: number;
            attemptId: string;
            /** @enum {string} */
            class: "timeout" | "sub-workflow" | "http-status" | "memory" | "command-not-found" | "permission-denied" | "network" | "secret-missing" | "handler-exception" | "output-missing" | "lost" | "exit-nonzero";
            summary: string;
            evidence: components["schemas"]["Evidence"][];
            changes: {
                /** @description the last run of the workflow that succeeded before this one */
                baseline?: {
                    runId: string;
                    version: string;
                    /** @description ms since the Unix epoch */
                    endedAt?: number;
                };
                /** @description present when the versions differ; steps: ids of steps whose definitions differ */
                version?: {
                    from: string;
                    to: string;
                    steps?: string[];
                };
                params: components["schemas"]["ParamChange"][];
                worker?: {
                    failed?: string;
                    baseline?: string;
                };
                duration: {
                    attemptMs?: number;
                    baselineMs?: number;
                    p95Ms?: number;
                    successes?: number;
                };
                peakRss: {
                    attemptBytes?: number;
                    baselineBytes?: number;
                    /** @description p95 of the step's successful attempts in the workflow's last 50 successful runs over 30 days */
                    p95Bytes?: number;
                    successes?: number;
                };
            };
            similar: {
                /** @description class and normalised error text */
                signature: string;
                /** @description failed attempts of the step read (at most 200, over 30 days) */
                scanned: number;
                truncated: boolean;
                /** @description newest first, at most 20; cited as s1, s2… in order */
                items: {
                    runId: string;
                    /** @description for an item of a mapped step: the item that failed, any item of the same mapped step */
                    stepId?: string;
                    attempt: number;
                    /** @description ms since the Unix epoch */
                    at: number;
                    version: string;
                    /** @enum {string} */
                    endedBy: "retry" | "new-version" | "param-change" | "nothing-yet";
                    fix?: {
                        runId: string;
                        attempt?: number;
                        version?: string;
                        params?: components["schemas"]["ParamChange"][];
                    };
                }[];
            };
            /** @description best first; none is applied */
            recoveries: {
                command: string;
                reason: string;
                evidence: string[];
            }[];
        };
        Diagnosis: {
            runId: string;
            workflow: string;
            version: string;
            state: string;
            steps: components["schemas"]["StepDiagnosis"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ready";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format 0.0.4 */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listRuns: {
        parameters: {
            query?: {
                workflow?: string;
                /** @description comma-separated: pending, queued, running, succeeded, failed, cancelled */
                state?: string;
                /** @description comma-separated: manual, schedule, backfill, api, webhook, retry, parent */
                trigger?: string;
                /** @description created at or after, ms since epoch */
                since?: number;
                /** @description created before, ms since epoch */
                until?: number;
                /** @description the 'next' of the previous page */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunPage"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createRun: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    workflow: string;
                    /** @description default: the newest registered version */
                    version?: string;
                    /** @default {} */
                    params?: {
                        [key: string]: unknown;
                    };
                    priority?: number;
                    concurrency?: number;
                    /** @description start no earlier than this (ms since epoch or ISO 8601): the run is pending until then */
                    at?: number | string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description intake refused: too many runs wait to start (`backpressure.reject`); the `Retry-After` header says in how many seconds to try again. `error.details`: { queued, limit, retryAfterSec } */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDetail"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    searchRunLogs: {
        parameters: {
            query: {
                /** @description what to look for: a plain substring, or with regex=true a JavaScript regular expression */
                q: string;
                /** @description read q as a regular expression (refused with 400 bad-pattern when it does not compile) */
                regex?: "true" | "false";
                ignoreCase?: "true" | "false";
                /** @description only the attempts of this step */
                step?: string;
                /** @description matches at most */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LogSearch"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRunDiagnosis: {
        parameters: {
            query?: {
                /** @description only this step */
                step?: string;
            };
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Diagnosis"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    applyRunRecovery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description the rank of the recovery, from 1, as listed in the diagnosis */
                    recovery: number;
                    /** @description the diagnosed step whose recovery it is; needed when several steps failed */
                    step?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                        steps: string[];
                        recovery: {
                            stepId: string;
                            rank: number;
                            command: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    cancelRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                        /** @enum {string} */
                        outcome: "requested" | "cancelled" | "finished";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    pauseRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                        changed: boolean;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    resumeRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                        /** @enum {string} */
                        outcome: "unpaused" | "adopted";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    retryRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description 'new': a new run with the same params; 'failed': only the failed steps of this run; 'from': a step and everything downstream
                     * @default new
                     * @enum {string}
                     */
                    mode?: "new" | "failed" | "from";
                    /** @description with mode 'from' */
                    step?: string;
                    /** @description with mode 'failed' or 'from' on a fleet (PostgreSQL): tags the workers running the re-run steps must have, besides each step's runs-on (400 without a fleet) */
                    on?: string[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                        steps?: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    signalRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
                name: string;
            };
            cookie?: never;
        };
        /** @description any JSON value: the payload, which becomes the waiting steps' output */
        requestBody: {
            content: {
                "application/json": unknown;
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                        /** @description the steps that took it */
                        steps: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    answerApproval: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
                step: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description true approves (the step succeeds), false rejects (the step fails with `rejected`, not retried) */
                    approved: boolean;
                    /** @description why, kept with the answer and shown in the run */
                    note?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setRunPriority: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description run id or a unique prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    priority: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listSchedules: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        schedules: components["schemas"]["Schedule"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    pauseWorkflowSchedules: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                workflow: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        changed: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    pauseSchedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                workflow: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        changed: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    resumeWorkflowSchedules: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                workflow: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        changed: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    resumeSchedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                workflow: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        changed: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getQueue: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Queue"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listWorkers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        workers: components["schemas"]["Worker"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    drainWorker: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {string} */
                        state: "draining";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listBreakers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        breakers: components["schemas"]["Breaker"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    resetBreaker: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the breaker key, URL-encoded (it may hold ":" and "/") */
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        breaker: components["schemas"]["Breaker"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tokens: components["schemas"]["Token"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    role: "viewer" | "operator" | "admin";
                    /** @default  */
                    name?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        token: string;
                        record: components["schemas"]["Token"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {boolean} */
                        revoked: true;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    streamEvents: {
        parameters: {
            query?: {
                /** @description only this run (id or unique prefix), with the changes of alerts about it */
                run?: string;
                /** @description only runs of this workflow, with the changes of alerts whose subject names it */
                workflow?: string;
                /** @description only run transitions, only step transitions or only alert changes */
                type?: "run" | "step" | "alert";
                /** @description resume after this event id (as Last-Event-ID); '0' or empty: from the first event kept, on SQLite and PostgreSQL alike */
                after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Server-Sent Events: `id: <cursor>` and `data: <event as JSON>` per message */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAttemptLog: {
        parameters: {
            query?: {
                /** @description first byte */
                offset?: number;
                /** @description bytes at most (without follow) */
                limit?: number;
                follow?: "true" | "false";
                /** @description the last this many bytes instead of a range from offset (the first line may be cut; `X-Log-Offset` says where the bytes start); not with follow */
                tail?: number;
            };
            header?: never;
            path: {
                id: string;
                step: string;
                number: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the log bytes as written by the step (UTF-8 text as a rule; not re-encoded) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAlerts: {
        parameters: {
            query?: {
                /** @description comma-separated: firing, acknowledged, silenced, resolved; "open" = all but resolved */
                state?: string;
                rule?: string;
                workflow?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        alerts: components["schemas"]["Alert"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAlertRules: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        rules: components["schemas"]["AlertRuleInfo"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setAlertRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the rule's name */
                name: string;
            };
            cookie?: never;
        };
        /** @description one rule in the shape of a baton.config.yaml rule (name, rule, notify, after, p95Factor, escalate, …); name defaults to the path's */
        requestBody: {
            content: {
                "application/json": {
                    [key: string]: unknown;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        rule: components["schemas"]["AlertRuleInfo"];
                        /** @description false when it replaced a rule set through the API before */
                        created: boolean;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteAlertRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the rule's name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        deleted: string;
                        /** @description the rule of this name in effect now, if any */
                        restored?: components["schemas"]["AlertRuleInfo"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAlert: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        alert: components["schemas"]["Alert"];
                        events: components["schemas"]["AlertEvent"][];
                        deliveries: components["schemas"]["Delivery"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    acknowledgeAlert: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    note?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        alert: components["schemas"]["Alert"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    resolveAlert: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    note?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        alert: components["schemas"]["Alert"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listSilences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        silences: components["schemas"]["Silence"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createSilence: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    matchers: components["schemas"]["SilenceMatcherInput"][];
                    /** @description e.g. "2h"; or give endsAt */
                    duration?: string | number;
                    endsAt?: number;
                    startsAt?: number;
                    comment?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        silence: components["schemas"]["Silence"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    expireSilence: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        silence: components["schemas"]["Silence"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getHistory: {
        parameters: {
            query?: {
                /** @description only runs of this workflow */
                workflow?: string;
                /** @description how far back from now: a duration such as 24h, 7d or 30d (at most 365d); runs that ended since then count */
                since?: string;
                /** @description bucket size of `buckets`, aligned on UTC */
                by?: "hour" | "day";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["History"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    exportHistoryRuns: {
        parameters: {
            query?: {
                /** @description only runs of this workflow */
                workflow?: string;
                /** @description how far back from now: a duration such as 24h, 7d or 30d (at most 365d); runs that ended since then count */
                since?: string;
                /** @description the 'next' of the previous page */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunExportPage"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getForecast: {
        parameters: {
            query?: {
                /** @description only runs of this workflow, and their attempts */
                workflow?: string;
                /** @description hours to forecast from the current UTC hour */
                hours?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Forecast"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description an API token (`baton token create`) */
                    token: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ended */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": null;
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createUpload: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /** @description the files */
                    file: string[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Upload"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getUpload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description upload id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Upload"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteUpload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description upload id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": null;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createUploadRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description upload id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description a workflow with a `batch` step */
                    workflow: string;
                    /** @description default: the newest registered version */
                    version?: string;
                    /** @description the param that receives the files: an `array` param gets their absolute paths, a `string` param the folder; default: the param the batch step's `items` reads */
                    param?: string;
                    /**
                     * @description the other params
                     * @default {}
                     */
                    params?: {
                        [key: string]: unknown;
                    };
                    priority?: number;
                    /** @description start no earlier than this (ms since epoch or ISO 8601) */
                    at?: number | string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                        /** @description the param that received the files */
                        param: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listWorkflows: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        workflows: components["schemas"]["WorkflowSummary"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    registerWorkflow: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/yaml": string;
                "text/yaml": string;
                "text/plain": string;
                "application/json": {
                    [key: string]: unknown;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        version: string;
                        created: boolean;
                        schedules: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    validateWorkflow: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/yaml": string;
                "text/yaml": string;
                "text/plain": string;
                "application/json": {
                    [key: string]: unknown;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        valid: boolean;
                        name?: string;
                        version?: string;
                        errors: components["schemas"]["SpecError"][];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        versions: {
                            version: string;
                            createdAt: number;
                        }[];
                        latest: components["schemas"]["WorkflowVersion"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflowVersion: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowVersion"];
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description send time, Unix seconds; refused beyond the workflow's toleranceSec (300) */
                "x-baton-timestamp": string;
                /** @description unique per delivery (at most 200 characters): a second request with the same id starts nothing */
                "x-baton-delivery": string;
                /** @description sha256= + hex HMAC-SHA256 of <timestamp>.<delivery>.<raw body> */
                "x-baton-signature": string;
            };
            path: {
                workflow: string;
            };
            cookie?: never;
        };
        /** @description the run params */
        requestBody: {
            content: {
                "application/json": {
                    [key: string]: unknown;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        runId: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description too many requests from this address for this workflow (`rate-limited`), or intake refused: too many runs wait to start (`intake-refused`, with a `Retry-After` header in seconds) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
