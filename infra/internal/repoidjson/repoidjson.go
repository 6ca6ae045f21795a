// Package repoidjson is the JSON form of hub.RepoID that the metadata
// adapters store inside job and project documents. It is shared so that
// every backend writes the same document shape.
package repoidjson

import "quarry/hub"

// ID is a hub.RepoID as stored in JSON documents.
type ID struct {
	Type      string `json:"type"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// From converts a hub.RepoID.
func From(id hub.RepoID) ID { return ID{string(id.Type), id.Namespace, id.Name} }

// RepoID converts back to a hub.RepoID.
func (id ID) RepoID() hub.RepoID {
	return hub.RepoID{Type: hub.RepoType(id.Type), Namespace: id.Namespace, Name: id.Name}
}

// FromAll converts a list; it never returns nil for a non-nil input.
func FromAll(ids []hub.RepoID) []ID {
	out := make([]ID, len(ids))
	for i, id := range ids {
		out[i] = From(id)
	}
	return out
}

// RepoIDs converts a stored list back; an empty list gives nil.
func RepoIDs(ids []ID) []hub.RepoID {
	var out []hub.RepoID
	for _, id := range ids {
		out = append(out, id.RepoID())
	}
	return out
}
