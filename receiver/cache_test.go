package receiver_test

import (
	"net/http"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/receiver"
	"github.com/statusgate/statusgate/secrets"
)

// The inbound path caches receiver configurations. A change through another
// instance (here a second Store on the same database) is seen by the very next
// delivery: an edited mapping applies, a rotated token stops working, and the
// receiver goes on working with its new token.
func TestReceiverCacheSeesChangesMadeElsewhere(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Cached", nil)
		box, err := secrets.NewBox(make([]byte, secrets.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		other := receiver.NewStore(receiver.StoreConfig{DB: db, Services: f.svc, Box: box, PublicURL: publicURL, NowFunc: f.clock.Now})

		// Cached now: the word is unknown.
		expect(t, f.post(r.Token, []byte(`{"status":"purple"}`), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")
		words := map[string]string{"purple": "down"}
		if _, err := other.Update(ctx(), f.srv.Org.ID, r.ID, receiver.UpdateInput{StatusMapping: &words}); err != nil {
			t.Fatal(err)
		}
		expect(t, f.post(r.Token, []byte(`{"status":"purple"}`), nil), http.StatusOK, "processed", "")

		rotated, err := other.RotateToken(ctx(), f.srv.Org.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		expectNotFound(t, f.post(r.Token, []byte(`{"status":"operational"}`), nil))
		expect(t, f.post(rotated.Token, []byte(`{"status":"operational"}`), nil), http.StatusOK, "processed", "")
		expectNotFound(t, f.post(r.Token, []byte(`{"status":"down"}`), nil))
	})
}

// A receiver deleted through another instance answers its token 404 on the next
// delivery here, as an unknown token does.
func TestReceiverDeletedElsewhereIsForgotten(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Deleted elsewhere", nil)
		expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
		box, err := secrets.NewBox(make([]byte, secrets.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		other := receiver.NewStore(receiver.StoreConfig{DB: db, Services: f.svc, Box: box, PublicURL: publicURL, NowFunc: f.clock.Now})
		if err := other.Delete(ctx(), f.srv.Org.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		expectNotFound(t, f.post(r.Token, []byte(`{"status":"down"}`), nil))
		expectNotFound(t, f.post(r.Token, []byte(`{"status":"down"}`), nil))
	})
}
