package controller

import "context"

// fencedFactory wraps every REST client so that each write first checks
// the fence: leader election alone does not stop a replica that was frozen
// or partitioned from acting before it notices it lost the lease.
func fencedFactory(f RESTClientFactory, fence func() error) RESTClientFactory {
	if fence == nil {
		return f
	}
	return func(cfg RESTConfig) (RESTClient, error) {
		c, err := f(cfg)
		if err != nil {
			return nil, err
		}
		return &fencedREST{RESTClient: c, fence: fence}, nil
	}
}

// fencedREST refuses writes while the fence is not held; reads pass.
type fencedREST struct {
	RESTClient
	fence func() error
}

func (r *fencedREST) APIPrefix() string { return apiPrefix(r.RESTClient) }

func (r *fencedREST) CreateLink(ctx context.Context, clusterID string, req CreateLinkRequest) error {
	if err := r.fence(); err != nil {
		return err
	}
	return r.RESTClient.CreateLink(ctx, clusterID, req)
}

func (r *fencedREST) DeleteLink(ctx context.Context, clusterID, link string) error {
	if err := r.fence(); err != nil {
		return err
	}
	return r.RESTClient.DeleteLink(ctx, clusterID, link)
}

func (r *fencedREST) AlterLinkConfigs(ctx context.Context, clusterID, link string, set map[string]string) error {
	if err := r.fence(); err != nil {
		return err
	}
	return r.RESTClient.AlterLinkConfigs(ctx, clusterID, link, set)
}

func (r *fencedREST) CreateMirror(ctx context.Context, clusterID, link string, req CreateMirrorRequest) error {
	if err := r.fence(); err != nil {
		return err
	}
	return r.RESTClient.CreateMirror(ctx, clusterID, link, req)
}

func (r *fencedREST) AlterMirrors(ctx context.Context, clusterID, link string, action MirrorAction, names []string) (map[string]MirrorCheck, error) {
	if err := r.fence(); err != nil {
		return nil, err
	}
	return r.RESTClient.AlterMirrors(ctx, clusterID, link, action, names)
}

func (r *fencedREST) DeleteTopic(ctx context.Context, clusterID, topic string) error {
	if err := r.fence(); err != nil {
		return err
	}
	return r.RESTClient.DeleteTopic(ctx, clusterID, topic)
}
