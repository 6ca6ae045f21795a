package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
)

// startSSE sets the event-stream headers and streams with fn after the
// handler returns. fn ends when a write fails (the client went away).
func startSSE(c *fiber.Ctx, fn func(w *bufio.Writer)) error {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(fn)
	return nil
}

// writeFrame writes one `[event: name\n]data: <json>\n\n` frame and flushes.
func writeFrame(w *bufio.Writer, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if name != "" {
		fmt.Fprintf(w, "event: %s\n", name)
	}
	fmt.Fprintf(w, "data: %s\n\n", b)
	return w.Flush()
}

// msg is one sse_v3 queue message.
type msg map[string]any

// streamSession delivers the events of session hash as sse_v3 messages:
// estimation, process_starts and process_completed for each, then
// close_stream once nothing is pending for the linger time.
func (s *Server) streamSession(w *bufio.Writer, hash string) {
	q := s.queue
	q.mu.Lock()
	sess := q.session(hash)
	q.mu.Unlock()
	announced, started := map[*event]bool{}, map[*event]bool{}
	var idleSince time.Time
	for {
		q.mu.Lock()
		var frames []msg
		var keep []*event
		for i, ev := range sess.pending {
			if !announced[ev] {
				announced[ev] = true
				frames = append(frames, msg{"msg": "estimation", "event_id": ev.id, "rank": i,
					"queue_size": len(sess.pending), "rank_eta": nil})
			}
			if ev.started && !started[ev] {
				started[ev] = true
				frames = append(frames, msg{"msg": "process_starts", "event_id": ev.id, "eta": nil})
			}
			if ev.finished {
				frames = append(frames, s.completed(ev))
			} else {
				keep = append(keep, ev)
			}
		}
		sess.pending, sess.touched = keep, q.now()
		empty, wake := len(keep) == 0, sess.wake
		q.mu.Unlock()
		for _, f := range frames {
			if writeFrame(w, "", f) != nil {
				return
			}
		}
		wait := s.cfg.Heartbeat
		if empty {
			if idleSince.IsZero() {
				idleSince = time.Now()
			}
			if wait = s.cfg.Linger - time.Since(idleSince); wait <= 0 {
				_ = writeFrame(w, "", msg{"msg": "close_stream", "event_id": nil})
				return
			}
		} else {
			idleSince = time.Time{}
		}
		select {
		case <-wake:
		case <-s.done:
			return
		case <-time.After(wait):
			if !empty && writeFrame(w, "", msg{"msg": "heartbeat"}) != nil {
				return
			}
		}
	}
}

// completed is the process_completed message of a finished event.
func (s *Server) completed(ev *event) msg {
	if ev.err != nil {
		e := s.apiError(ev.err)
		return msg{"msg": "process_completed", "event_id": ev.id, "success": false,
			"output": msg{"error": e.msg, "title": "Error", "visible": true}}
	}
	return msg{"msg": "process_completed", "event_id": ev.id, "success": true,
		"output": msg{"data": ev.output, "is_generating": false, "duration": ev.duration,
			"average_duration": ev.duration}}
}

// streamCall waits for event ev and writes the call/{api} result: `event:
// complete` with the data array, or `event: error` with the message.
func (s *Server) streamCall(w *bufio.Writer, ev *event) {
	for {
		select {
		case <-ev.done:
			if ev.err != nil {
				_ = writeFrame(w, "error", s.apiError(ev.err).msg)
				return
			}
			_ = writeFrame(w, "complete", ev.output)
			return
		case <-s.done:
			return
		case <-time.After(s.cfg.Heartbeat):
			if writeFrame(w, "heartbeat", nil) != nil {
				return
			}
		}
	}
}

// streamHeartbeat keeps a heartbeat stream open (the Python client
// reconnects in a tight loop when it closes), sending ALIVE periodically,
// until the client leaves, the server closes or an hour has passed.
func (s *Server) streamHeartbeat(w *bufio.Writer) {
	deadline := time.After(time.Hour)
	for {
		if _, err := w.WriteString("data: ALIVE\n\n"); err != nil || w.Flush() != nil {
			return
		}
		select {
		case <-s.done:
			return
		case <-deadline:
			return
		case <-time.After(s.cfg.Heartbeat):
		}
	}
}
