package enrich

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// errNoSuchUser is IAM's NoSuchEntity for the user a lookup asked about: the user does not
// exist (any more). It is recorded as a fact (Subject.Exists = false), never as a failure.
var errNoSuchUser = errors.New("no such IAM user")

func isNoSuchEntity(err error) bool {
	var nse *types.NoSuchEntityException
	if errors.As(err, &nse) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchEntity"
}

// userGone maps IAM's NoSuchEntity for a user-scoped call to errNoSuchUser and wraps any
// other error with the operation's name.
func userGone(op string, err error) error {
	if isNoSuchEntity(err) {
		return errNoSuchUser
	}
	return fmt.Errorf("%s: %w", op, err)
}

// maxNoteLen bounds the error text quoted in a note.
const maxNoteLen = 240

// describe renders a lookup failure for a note: the AWS error code and message when the
// error is an API error ("AccessDenied: User ... is not authorized ..."), "timed out after
// 2s" for the per-lookup deadline, else the error text.
func describe(err error, timeout string) string {
	var s string
	var api smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		s = "timed out after " + timeout
	case errors.As(err, &api):
		s = api.ErrorCode() + ": " + api.ErrorMessage()
		var re *awshttp.ResponseError
		if api.ErrorCode() == "UnknownError" && errors.As(err, &re) {
			s = fmt.Sprintf("%s (HTTP %d)", s, re.HTTPStatusCode())
		}
	default:
		s = err.Error()
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxNoteLen {
		s = s[:maxNoteLen] + "..."
	}
	return s
}
