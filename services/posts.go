package services

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
)

// Post kinds.
const (
	PostStatusChange = "status_change"
	PostManual       = "manual"
)

// Post is one entry of the status page's news: written for every processed status
// change, or by an operator.
type Post struct {
	ID         uuid.UUID       `json:"id"`
	Kind       string          `json:"kind"`
	Service    *Ref            `json:"service"`
	FromStatus *mapping.Status `json:"from_status"`
	ToStatus   *mapping.Status `json:"to_status"`
	Title      string          `json:"title"`
	Body       string          `json:"body"`
	CreatedAt  time.Time       `json:"created_at"`
}

// PostInput is the body of POST /api/v1/posts.
type PostInput struct {
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	ServiceID *uuid.UUID `json:"service_id"`
}

// Validate checks a hand-written post.
func (in *PostInput) Validate() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	if in.Body == "" {
		return apierr.Invalid("body", "body is required")
	}
	if utf8.RuneCountInString(in.Title) > 200 {
		return apierr.Invalid("title", "title must be at most 200 characters")
	}
	if utf8.RuneCountInString(in.Body) > 10000 {
		return apierr.Invalid("body", "body must be at most 10000 characters")
	}
	return nil
}

type postRow struct {
	ID         uuid.UUID
	OrgID      uuid.UUID
	ServiceID  *uuid.UUID
	Kind       string
	FromStatus *string
	ToStatus   *string
	Title      string
	Body       string
	CreatedAt  time.Time
}

func (postRow) TableName() string { return "posts" }

// postWithName is a post row joined with its service's name. The columns are spelled
// out because gorm's Scan does not fill an embedded row struct.
type postWithName struct {
	ID          uuid.UUID
	OrgID       uuid.UUID
	ServiceID   *uuid.UUID
	Kind        string
	FromStatus  *string
	ToStatus    *string
	Title       string
	Body        string
	CreatedAt   time.Time
	ServiceName *string
}

func (r postWithName) toPost() Post {
	p := Post{ID: r.ID, Kind: r.Kind, Title: r.Title, Body: r.Body, CreatedAt: r.CreatedAt.UTC()}
	if r.ServiceID != nil && r.ServiceName != nil {
		p.Service = &Ref{ID: *r.ServiceID, Name: *r.ServiceName}
	}
	if r.FromStatus != nil {
		st := mapping.Status(*r.FromStatus)
		p.FromStatus = &st
	}
	if r.ToStatus != nil {
		st := mapping.Status(*r.ToStatus)
		p.ToStatus = &st
	}
	return p
}

// changePost is the post a status change writes: the sender's message when there is
// one, else a plain sentence.
func changePost(ch Change) postRow {
	from, to := string(ch.From), string(ch.To)
	body := strings.TrimSpace(ch.Message)
	if body == "" {
		body = fmt.Sprintf("%s changed from %s to %s.", ch.Service.Name, ch.From, ch.To)
	}
	return postRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: ch.Service.OrgID, ServiceID: &ch.Service.ID, Kind: PostStatusChange,
		FromStatus: &from, ToStatus: &to, Title: changeTitle(ch.Service.Name, ch.To),
		Body: body, CreatedAt: ch.At,
	}
}

// changeTitle reads as a sentence for every status ("API is under maintenance").
func changeTitle(name string, to mapping.Status) string {
	if to == mapping.Maintenance {
		return name + " is under maintenance"
	}
	return fmt.Sprintf("%s is %s", name, to)
}

func (s *Store) insertPost(ctx context.Context, row postRow) error {
	if err := s.db.InsertLater(ctx, &row); err != nil {
		return fmt.Errorf("writing status-page post: %w", err)
	}
	return nil
}

// CreatePost writes an operator's post.
func (s *Store) CreatePost(ctx context.Context, orgID uuid.UUID, in PostInput) (Post, error) {
	if err := in.Validate(); err != nil {
		return Post{}, err
	}
	row := postRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, ServiceID: in.ServiceID, Kind: PostManual,
		Title: in.Title, Body: in.Body, CreatedAt: s.Now(),
	}
	var serviceName *string
	if in.ServiceID != nil {
		svc, err := s.Get(ctx, orgID, *in.ServiceID)
		if err != nil {
			return Post{}, apierr.Invalid("service_id", "service_id %s names no service of this organization", in.ServiceID)
		}
		serviceName = &svc.Name
	}
	post := postWithName{
		ID: row.ID, OrgID: row.OrgID, ServiceID: row.ServiceID, Kind: row.Kind, Title: row.Title,
		Body: row.Body, CreatedAt: row.CreatedAt, ServiceName: serviceName,
	}.toPost()
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.insertPost(ctx, row); err != nil {
			return err
		}
		for _, fn := range s.postFuncs {
			if err := fn(ctx, orgID, post); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Post{}, err
	}
	return post, nil
}

// PostFunc reacts to an operator's post inside its transaction: if it returns an
// error, the post is not written.
type PostFunc func(ctx context.Context, orgID uuid.UUID, p Post) error

// PostFilter narrows ListPosts.
type PostFilter struct {
	// PublicOnly keeps posts of public services and posts about no service.
	PublicOnly bool
	ServiceID  *uuid.UUID
}

// ListPosts returns a page of the organization's posts, newest first: up to
// page.Limit+1 of them, the extra one telling rest.ListAnswer that a next page exists.
func (s *Store) ListPosts(ctx context.Context, orgID uuid.UUID, f PostFilter, page rest.Page) ([]Post, error) {
	q := s.db.Conn(ctx).Table("posts").
		Select("posts.*, services.name AS service_name").
		Joins("LEFT JOIN services ON services.id = posts.service_id").
		Where("posts.org_id = ?", orgID).
		Order("posts.created_at DESC, posts.id DESC").Limit(page.Limit + 1)
	if f.PublicOnly {
		q = q.Where("(posts.service_id IS NULL OR services.public = ?)", true)
	}
	if f.ServiceID != nil {
		q = q.Where("posts.service_id = ?", *f.ServiceID)
	}
	if page.Cursor != uuid.Nil {
		var cur postRow
		if err := s.db.Conn(ctx).Select("created_at, id").Where("id = ? AND org_id = ?", page.Cursor, orgID).Take(&cur).Error; err != nil {
			return nil, apierr.Invalid("cursor", "cursor is not one this API handed out")
		}
		q = q.Where("(posts.created_at < ? OR (posts.created_at = ? AND posts.id < ?))", cur.CreatedAt, cur.CreatedAt, cur.ID)
	}
	var rows []postWithName
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing posts: %w", err)
	}
	out := make([]Post, len(rows))
	for i, r := range rows {
		out[i] = r.toPost()
	}
	return out, nil
}
