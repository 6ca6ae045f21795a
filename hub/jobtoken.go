package hub

import (
	"context"
	"io"
	"strings"
	"time"
)

// newJobToken creates the token a job's task uses: a fine-grained token of
// the job's owner, limited to reading job.Reads and writing job.Writes,
// expiring after the configured TTL (and shortened to JobTokenGrace once
// the job ends). Only its hash is kept on the job.
func (js *Jobs) newJobToken(ctx context.Context, job *Job) (string, *Token, error) {
	scopes := make([]TokenScope, 0, len(job.Reads)+len(job.Writes))
	add := func(ids []RepoID, role string) {
		for _, id := range ids {
			scopes = append(scopes, TokenScope{Type: normalizeType(id.Type), Namespace: id.Namespace, Name: id.Name, Role: role})
		}
	}
	add(job.Reads, RoleRead)
	add(job.Writes, RoleWrite)
	t := &Token{Role: RoleFineGrained, Label: "job " + job.ID, Scopes: scopes,
		ExpiresAt: js.svc.now().Add(js.cfg.TokenTTL)}
	return js.svc.newToken(ctx, job.Owner, t)
}

// revokeToken revokes a job token that was never handed to a task.
func (js *Jobs) revokeToken(ctx context.Context, id string, t *Token) {
	t.RevokedAt = js.svc.now()
	js.logErr("revoke job token", id, js.svc.Meta.UpdateToken(ctx, t))
}

// Logs returns a job's output (who may read it: see Get). With follow it
// streams until the task ends; a job not launched yet is waited for. A job
// run by another runner than this hub's has no logs here (ErrNotFound).
func (js *Jobs) Logs(ctx context.Context, c *Caller, id string, follow bool) (io.ReadCloser, error) {
	job, err := js.Get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	for job.Handle == "" {
		if !follow || job.State.Terminal() {
			return io.NopCloser(strings.NewReader("")), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(waitPoll):
		}
		if job, err = js.load(ctx, id); err != nil {
			return nil, err
		}
	}
	if job.Runner != js.runner.Name() {
		return nil, Errorf(ErrNotFound, "the logs of job %s are kept by the %s runner, not available here", id, job.Runner)
	}
	return js.runner.Logs(ctx, job.Handle, follow)
}

// Expired reports whether t has an expiry (job tokens) that now reached.
func (t *Token) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}
