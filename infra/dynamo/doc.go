// Package dynamo keeps Quarry's metadata in one Amazon DynamoDB table
// (single-table design). MetaStore implements hub.MetaStore and the
// optional hub.ChangeCounter.
//
// # Keys
//
// Every item has a string partition key PK and sort key SK. Names in keys
// are lower-cased, so lookups are case-insensitive; items keep the names as
// written. '#' separates key parts (no name may contain it, and it sorts
// below every character a name may hold, so "a/b#…" < "a/b-c#…" as in
// SQL's ordering of "a/b" before "a/b-c").
//
//	PK                          SK                      item
//	REPOID#<type>#<ns>/<name>   REPO                    the repo record (full copy; uniqueness of the id)
//	REPO#<key>                  META                    pointer key → type and id (for update/delete by key)
//	REPO#<key>                  REF#<full ref name>     a ref: commit id
//	REPO#<key>                  LFS#<oid>               an LFS object the repo holds: size
//	REPO#<key>                  GRANT#<subject>         a grant: role, time
//	SUBJ#<subject>              REPO#<key>              mirror of a grant, for "repos granted to me"
//	USER#<name>                 USER                    a user or organization
//	USER#<name>                 TOKEN#<created>#<hash>  pointer to a token of the user (creation order)
//	USER#<name>                 ORG#<org>               the user's membership of an org (mirror)
//	USER#<name>                 TEAM#<org>#<team>       the user's membership of a team (team copied in)
//	TOKEN#<sha256>              TOKEN                   an access token
//	ORG#<org>                   MEMBER#<user>           a member of an org
//	ORG#<org>                   TEAM#<team>             a team
//	SESSION#<sha256>            SESSION                 a web session; attribute ttl (epoch s) expires it
//	AUDIT                       <seq, 20 digits>        an audit event
//	JOB#<id>                    JOB                     a job (CAS on attribute v)
//	META#CHANGES                META                    the change counter (hub.ChangeCounter)
//	META#AUDIT                  META                    the audit sequence
//
// # Indexes
//
// Six global secondary indexes, all projecting every attribute. Five list
// repos in one sort order each, partitioned by type (LPK = "R#<type>"):
// repos-by-id (LID = "<ns>/<name>#<key>"), repos-by-created (LCR =
// "<createdAt>#<key>"), repos-by-modified (LMOD), repos-by-downloads (LDL =
// 20-digit order-preserving number "#<key>") and repos-by-likes (LLK). The
// sixth, gsi1 (G1PK, G1SK), is overloaded:
//
//	G1PK              G1SK              lists
//	A#<ns>            <ns>/<name>#<key> a namespace's repos (ListRepos with Author)
//	SESSIONS          <expiresAt>#<id>  sessions by expiry (DeleteExpiredSessions)
//	AUDIT#<actor>     <seq>             an actor's audit events, newest first
//	JOBS              <createdAt>#<id>  jobs, oldest first (ListJobs)
//
// Sort values end with the repo key, so they are unique and a page cursor
// is just the last value returned: the next page is a key condition
// "value > cursor" (or "<" descending), so pages never skip or repeat a repo
// whatever is created meanwhile.
//
// # Access patterns and their cost in requests
//
//   - GetRepo: 1 GetItem (REPOID item, strongly consistent).
//   - GetRef: 1 GetItem. UpdateRef (the commit's compare-and-swap): 1
//     conditional write: PutItem attribute_not_exists(PK) to create, UpdateItem
//     "c = :old" to move, DeleteItem "c = :old" to delete.
//   - ListRefs: 1 Query (more past 1 MB of refs).
//   - CreateRepo: 1 TransactWriteItems (pointer + REPOID item, both
//     attribute_not_exists: a taken id or key cancels it).
//   - UpdateRepo: 1 conditional PutItem ("key = :key AND v = :version") in
//     place; a rename is a GetItem of the pointer plus 1 TransactWriteItems
//     (delete old REPOID, create new one, move the pointer).
//   - DeleteRepo: 1 GetItem + 1 TransactWriteItems, then 1 Query and
//     BatchWriteItems for its refs and LFS entries (keys are random and never
//     reused, so leftovers of a crash there are unreachable).
//   - ListRepos: Queries on one sort index per type (1 with a type filter,
//     3 merged without), reading in sort order after the cursor. The other
//     filters (search, tags, pipeline, visibility of private repos) are
//     applied to the items read, so a page costs reads proportional to the
//     repos it skips: cheap for the common listings (all public repos of a
//     type by downloads, likes, date), up to a whole type partition for a
//     rare tag or a search term, one 1 MB Query page (~2,000 repos) per
//     request. With Author it reads the namespace's repos from gsi1 (1 Query
//     for up to ~2,000 repos) and sorts them in memory. Index reads are
//     eventually consistent: a repo just created may miss a listing for a
//     moment.
//   - Users, tokens, sessions, teams, memberships, LFS entries, jobs: 1
//     GetItem by key; lists are 1 Query on the owner's partition (tokens add
//     1 BatchGetItem per 100). Writes to users, tokens, memberships and
//     teams are transactions that also increment the change counter, so
//     ChangeCount (1 GetItem) lets the service cache credentials.
//   - UpdateJob: 1 conditional PutItem on v. ListJobs: 1 Query on gsi1
//     (filters applied to the items read).
//   - AppendAudit: 2 requests (sequence UpdateItem + PutItem).
//
// Conditional-check failures never leave the package: each method turns
// them into the hub kind its contract names (ErrConflict, ErrPrecondition,
// ErrNotFound...). Transactions cancelled only by a concurrent transaction
// (TransactionConflict) are retried.
package dynamo
