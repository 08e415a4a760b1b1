// Package registry keeps every trained model under its version and says
// which one is the champion: the model "churn serve --registry" serves.
//
// A registry is a folder:
//
//	DIR/versions/VERSION/   a model folder as "churn train" wrote it
//	                        (model.json, metrics.json, charts, candidates)
//	DIR/champion.json       which version is the champion, and the earlier
//	                        champions a rollback returns to
//	DIR/shadow.json         which version, if any, is the shadow: scored
//	                        beside the champion and recorded, never shown
//	DIR/.lock               held while the champion or the shadow changes
//
// VERSION is models.Artifact.Version, the hash of the model's content, so
// registering the same model twice keeps one copy, and a version folder
// that no longer hashes to its name is refused when loaded.
//
// champion.json is replaced atomically (written aside and renamed), so a
// reader polling it, such as a server following the champion, sees the
// old champion or the new one, never a torn file. Changes to it are
// serialized by an exclusive lock on DIR/.lock across processes, so two
// promotions at once both land, one after the other, in the order their
// audit entries record.
//
// Every registration, promotion, rollback and change of shadow is appended to an Audit,
// the lifecycle store, with who did it (User) and why. A change of
// champion is recorded before champion.json is replaced: a change that
// could not be recorded is not made.
package registry
