// Package gitops runs the GitOps health checks shipped in docs/ the way the
// tools that load them do, so tests can hold them to the controller's
// conditions.
package gitops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// ArgoHealthScript is the Argo CD health check, relative to the repository root.
var ArgoHealthScript = filepath.Join("docs", "argocd", "health.lua")

// Argo CD's health statuses (what argocd-cm health scripts may return).
var argoStatuses = map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}

// Health is what an Argo CD health script returned for an object.
type Health struct {
	Status  string
	Message string
}

// LoadArgoHealth reads the health script under root.
func LoadArgoHealth(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, ArgoHealthScript))
	if err != nil {
		return "", fmt.Errorf("read the Argo CD health script: %w", err)
	}
	return string(b), nil
}

// ArgoHealth runs a health script over obj (an object as decoded from
// JSON) as Argo CD does: gopher-lua, the global obj, only the base,
// package and table libraries (Argo CD's sandbox), a table returned with a
// known status.
func ArgoHealth(script string, obj map[string]any) (Health, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.SetContext(ctx)
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Health{}, fmt.Errorf("open lua library %s: %w", lib.name, err)
		}
	}
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return Health{}, fmt.Errorf("run the health script: %w", err)
	}
	t, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return Health{}, fmt.Errorf("the health script returned %s, not a table", l.Get(-1).Type())
	}
	h := Health{Status: lua.LVAsString(t.RawGetString("status")), Message: lua.LVAsString(t.RawGetString("message"))}
	if !argoStatuses[h.Status] {
		return h, fmt.Errorf("the health script returned status %q, which Argo CD does not know", h.Status)
	}
	return h, nil
}

// toLua converts a JSON value to Lua as Argo CD does: objects and arrays
// become tables (arrays 1-based), numbers LNumber.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	case []any:
		t := l.NewTable()
		for i, e := range v {
			t.RawSetInt(i+1, toLua(l, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	}
	return lua.LString(fmt.Sprint(v))
}
