package orgs_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/orgs"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Several instances starting on one empty database create one organization and print
// one key between them.
func TestBootstrapMakesOneOrganizationAcrossInstances(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			keys []string
		)
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key, err := orgs.NewStore(db, nil).Bootstrap(ctx)
				if err != nil {
					t.Errorf("bootstrap: %v", err)
					return
				}
				if key != "" {
					mu.Lock()
					keys = append(keys, key)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(keys) != 1 {
			t.Fatalf("%d instances printed a key, want exactly 1", len(keys))
		}
		store := orgs.NewStore(db, nil)
		p, err := store.Authenticate(ctx, keys[0])
		if err != nil || p.OrgSlug != orgs.DefaultSlug || orgs.Role(p.Role) != orgs.RoleAdmin {
			t.Fatalf("bootstrap key authenticates as %+v, %v; want admin of default", p, err)
		}
		if again, err := store.Bootstrap(ctx); err != nil || again != "" {
			t.Fatalf("bootstrap on a non-empty database: %q, %v; want no key", again, err)
		}
	})
}

func TestKeysAndOrganizations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := orgs.NewStore(db, nil)
		_, admin, err := store.CreateOrg(ctx, "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := store.CreateOrg(ctx, "acme", ""); apierr.CodeOf(err) != apierr.CodeConflict {
			t.Fatalf("second acme: %v, want conflict", err)
		}
		for _, bad := range []string{"", "Acme", "-acme", "a b", "a/b"} {
			if _, _, err := store.CreateOrg(ctx, bad, ""); apierr.CodeOf(err) != apierr.CodeValidationFailed {
				t.Fatalf("slug %q: %v, want validation_failed", bad, err)
			}
		}
		viewer, err := store.CreateKey(ctx, "acme", orgs.RoleViewer, "dashboards")
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := store.Authenticate(ctx, viewer); orgs.Role(p.Role) != orgs.RoleViewer {
			t.Fatalf("viewer key has role %q", p.Role)
		}
		if p, _ := store.Authenticate(ctx, admin); orgs.Role(p.Role) != orgs.RoleAdmin {
			t.Fatalf("admin key has role %q", p.Role)
		}
		if _, err := store.Authenticate(ctx, admin+"x"); !errors.Is(err, orgs.ErrUnauthorized) {
			t.Fatalf("altered key: %v, want unauthorized", err)
		}
		var stored int64
		if err := db.Conn(ctx).Table("api_keys").Where("key_hash = ? OR hint = ?", admin, admin).Count(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if stored != 0 {
			t.Fatal("an API key is stored in the clear")
		}
	})
}
