package notify_test

import (
	"testing"

	"github.com/statusgate/statusgate/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
