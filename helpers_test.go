package healthcare_test

import (
	"errors"
	"fmt"

	"github.com/clinicapi/healthcare"
)

var errPlain = errors.New("connection refused")

func wrap(err error) error { return fmt.Errorf("find patient: %w", err) }

func asError(err error, target **healthcare.Error) bool { return errors.As(err, target) }
