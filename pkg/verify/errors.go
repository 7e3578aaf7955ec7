package verify

import "fmt"

// Step names the part of verification that failed, as reported in results.
type Step string

// The verification steps, in the order they run.
const (
	StepBundle      Step = "bundle"
	StepTrust       Step = "trust"
	StepTimestamp   Step = "timestamp"
	StepTlog        Step = "tlog"
	StepCertificate Step = "certificate"
	StepSCT         Step = "sct"
	StepArtifact    Step = "artifact"
	StepSignature   Step = "signature"
	StepPolicy      Step = "policy"
)

// Error is a verification failure at one step.
type Error struct {
	Step Step
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(step Step, format string, args ...any) error {
	return &Error{Step: step, Err: fmt.Errorf(format, args...)}
}

// StatementError is a policy failure about what was signed rather than who signed it: the
// statement's predicate type, PEP 740's checks, or the fields of a publish attestation.
type StatementError struct{ Err error }

func (e *StatementError) Error() string { return e.Err.Error() }
func (e *StatementError) Unwrap() error { return e.Err }
