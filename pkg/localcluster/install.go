package localcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
)

// InstallCRDs creates or updates every CustomResourceDefinition in the
// YAML files of dir and waits until each is Established.
func (c *Cluster) InstallCRDs(ctx context.Context, dir string) error {
	client, err := apiextensionsclient.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	var installed []*apiextensionsv1.CustomResourceDefinition
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := dec.Decode(crd); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return fmt.Errorf("%s: %w", file, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			if err := applyCRD(ctx, client, crd); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			installed = append(installed, crd)
		}
	}
	if len(installed) == 0 {
		return fmt.Errorf("no CustomResourceDefinition in %s", dir)
	}
	for _, want := range installed {
		name := want.Name
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not Established: %w", name, err)
		}
	}
	// Discovery lags Established by a moment; kubectl needs it.
	for _, crd := range installed {
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			gv := crd.Spec.Group + "/" + v.Name
			err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
				list, err := c.Kube.Discovery().ServerResourcesForGroupVersion(gv)
				if err != nil {
					return false, nil
				}
				for _, r := range list.APIResources {
					if r.Name == crd.Spec.Names.Plural {
						return true, nil
					}
				}
				return false, nil
			})
			if err != nil {
				return fmt.Errorf("%s in %s not in discovery: %w", crd.Spec.Names.Plural, gv, err)
			}
		}
	}
	return nil
}

func applyCRD(ctx context.Context, client apiextensionsclient.Interface, crd *apiextensionsv1.CustomResourceDefinition) error {
	crds := client.ApiextensionsV1().CustomResourceDefinitions()
	existing, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = crds.Create(ctx, crd, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	crd.ResourceVersion = existing.ResourceVersion
	_, err = crds.Update(ctx, crd, metav1.UpdateOptions{})
	return err
}

// InstallWebhook reads a ValidatingWebhookConfiguration manifest, points
// every webhook at url + its service path with caBundle (a webhook served
// outside the cluster), and creates or updates it.
func (c *Cluster) InstallWebhook(ctx context.Context, manifest, url string, caBundle []byte) error {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096).Decode(cfg); err != nil {
		return fmt.Errorf("%s: %w", manifest, err)
	}
	if cfg.Kind != "ValidatingWebhookConfiguration" {
		return fmt.Errorf("%s: kind %q, want ValidatingWebhookConfiguration", manifest, cfg.Kind)
	}
	for i := range cfg.Webhooks {
		wh := &cfg.Webhooks[i]
		path := ""
		if wh.ClientConfig.Service != nil && wh.ClientConfig.Service.Path != nil {
			path = *wh.ClientConfig.Service.Path
		}
		wh.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: ptr.To(strings.TrimSuffix(url, "/") + path), CABundle: caBundle}
	}
	api := c.Kube.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	existing, err := api.Get(ctx, cfg.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = api.Create(ctx, cfg, metav1.CreateOptions{})
	case err == nil:
		cfg.ResourceVersion = existing.ResourceVersion
		_, err = api.Update(ctx, cfg, metav1.UpdateOptions{})
	}
	return err
}
